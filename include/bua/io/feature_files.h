// Whole feature outputs — a TSV (either layout), a folder of per-image .npz files, an HDF5 file of ours
// (either layout) or a captioning prefix (<prefix>_att, _fc, _box) — read as one stream of records, and the
// operations of tools/read_tsv on them: validate + summarize, show one record, convert between formats,
// merge the outputs of several workers.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bua/io/feature_record.h"
#include "bua/io/feature_sink.h"
#include "bua/io/tsv.h"

namespace bua {

class Hdf5FeatureReader;

// Records of a TSV file, of the .npz files of a folder in name order, of an HDF5 file in row order, or of a
// captioning prefix in id order. The kind is told by the path: a folder is .npz files, a file starting with
// HDF5's signature is HDF5, a path whose <path>_att folder exists is captioning, any other file a TSV.
class FeatureSource {
 public:
  explicit FeatureSource(const std::string& path);
  ~FeatureSource();
  bool next(FeatureRecord& record);
  std::string where() const;       // "<file>:<line>", the .npz file or the HDF5 row of the last record
  double fraction_done() const;    // share of the input read, for progress
  // The format read: for a TSV known once a row was read (an empty TSV says kTsvOriginal).
  FeatureFormat format() const;
  // "original" / "lxmert" for a TSV ("empty" before a row was read), else the format's name.
  std::string format_label() const;

 private:
  std::string path_;
  std::unique_ptr<TsvReader> tsv_;
  std::unique_ptr<Hdf5FeatureReader> hdf5_;
  int64_t hdf5_next_ = 0;
  // One file (npz) or id (captioning) per record.
  std::vector<std::string> items_;
  size_t item_next_ = 0;
  bool captioning_ = false;
};

struct FeatureSummary {
  int64_t rows = 0;
  int64_t min_boxes = 0, max_boxes = 0;
  double mean_boxes = 0;
  int64_t feature_dim = 0;
  bool has_objects = false;  // every record has the object/attribute fields
  std::string format;        // "original", "lxmert", "npz", "hdf5-fixed", "hdf5-adaptive" or "captioning"
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

// Converts `input` (any format above) to `output` in `format`; folder outputs are created. A file output
// replaces an existing one only once complete. Repeated ids keep their first record, with a warning.
// original -> lxmert needs the object fields.
CopyResult convert_features(const std::string& input, FeatureFormat format, const std::string& output,
                            bool progress = true, const FeatureSinkOptions& options = {});

// Joins feature outputs (e.g. out.tsv.0, out.tsv.1 ... of a multi-GPU run, or the shards of a cluster run,
// in any readable format) into `output` in `format`, dropping repeated ids with a warning. Without a format,
// the inputs' common TSV layout (all inputs must then be TSVs of one layout).
CopyResult merge_features(const std::string& output, const std::vector<std::string>& inputs,
                          std::optional<FeatureFormat> format = std::nullopt, bool progress = true,
                          const FeatureSinkOptions& options = {});

}  // namespace bua
