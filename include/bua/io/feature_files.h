// Whole feature files: a TSV (either layout) or a folder of per-image .npz files read as one stream of
// records, and the operations of tools/read_tsv on them: validate + summarize, show one record,
// convert between layouts, merge per-GPU files.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bua/io/feature_record.h"
#include "bua/io/tsv.h"

namespace bua {

// Records of a TSV file, or of the .npz files of a folder in name order.
class FeatureSource {
 public:
  explicit FeatureSource(const std::string& path);
  bool next(FeatureRecord& record);
  std::string where() const;       // "<file>:<line>" or the .npz file of the last record
  double fraction_done() const;    // share of the input read, for progress
  bool is_npz_dir() const { return !tsv_; }
  std::optional<TsvLayout> layout() const;  // of a TSV, once a row was read

 private:
  std::string path_;
  std::unique_ptr<TsvReader> tsv_;
  std::vector<std::string> npz_files_;
  size_t npz_next_ = 0;
};

enum class FeatureFormat { kTsvOriginal, kTsvLxmert, kNpzDir };
// "tsv" or "original", "lxmert", "npz"; throws on anything else.
FeatureFormat parse_feature_format(const std::string& name);

struct FeatureSummary {
  int64_t rows = 0;
  int64_t min_boxes = 0, max_boxes = 0;
  double mean_boxes = 0;
  int64_t feature_dim = 0;
  bool has_objects = false;  // every record has the object/attribute fields
  std::string format;        // "original", "lxmert" or "npz"
};

// Reads every record of `path`: each must decode with sizes agreeing with num_boxes, ids must be unique,
// and all records must share one feature dim. Throws bua::Error at the first problem, naming its line.
FeatureSummary validate_features(const std::string& path, bool progress = true);

// The record with `image_id`, read by streaming through the file; nullopt when absent.
// `where` receives its location ("<file>:<line>").
std::optional<FeatureRecord> find_feature_record(const std::string& path, const std::string& image_id,
                                                 std::string* where = nullptr);

// Human-readable fields, shapes and first values of a record (for --show).
std::string describe_record(const FeatureRecord& record, int max_rows = 5, int max_values = 8);

struct CopyResult {
  int64_t rows = 0;        // records written
  int64_t duplicates = 0;  // records dropped because their id was already written
};

// Converts `input` (TSV or NPZ folder) to `output` in `format`; an NPZ output is a folder (created).
// Repeated ids keep their first record, with a warning. original -> lxmert needs the object fields.
CopyResult convert_features(const std::string& input, FeatureFormat format, const std::string& output,
                            bool progress = true);

// Joins TSV files (e.g. out.tsv.0, out.tsv.1 ... of a multi-GPU run) into `output`, in the inputs'
// common layout, dropping repeated ids with a warning.
CopyResult merge_feature_tsvs(const std::string& output, const std::vector<std::string>& inputs,
                              bool progress = true);

}  // namespace bua
