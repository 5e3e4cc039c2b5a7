// Where feature records go, in every output format of generate_tsv and read_tsv. Every sink knows which image
// ids its output already holds (a resumed run skips them) and never exposes a half-written output under its
// final name.
#pragma once
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "bua/io/feature_record.h"

namespace bua {

enum class FeatureFormat {
  kTsvOriginal,   // the original's TSV (tools/generate_tsv.py)
  kTsvLxmert,     // LXMERT's TSV, with the object and attribute fields
  kNpzDir,        // a folder of <id>.npz (the Python ports; MCAN with NpzLayout::kFeaturesFirst)
  kHdf5Fixed,     // bottom-up-attention-vqa: [N,K,D] .hdf5 + _imgid2idx.pkl
  kHdf5Adaptive,  // ban-vqa: [T,D] .hdf5 with pos_boxes + _imgid2idx.pkl
  kCaptioning,    // self-critical.pytorch: <out>_att, <out>_fc, <out>_box folders
};

// "tsv" (or "original"), "lxmert", "npz", "hdf5-fixed", "hdf5-adaptive", "captioning". Throws bua::Error
// naming `flag` on anything else.
FeatureFormat parse_feature_format(const std::string& name, const std::string& flag = "--format");
const char* feature_format_name(FeatureFormat format);
// The formats' names, for help texts: "tsv | lxmert | npz | ...".
std::string feature_format_names();

// flag → value pairs: the settings of a run, or the inputs it reads ({"--net", "model.pt"}).
using NamedValues = std::vector<std::pair<std::string, std::string>>;

struct FeatureSinkOptions {
  NpzLayout npz_layout = NpzLayout::kBoxesFirst;
  // true: continue an earlier output at the same path (generate_tsv). false: a new output that replaces an
  // existing one only once it is complete (read_tsv conversions).
  bool resume = true;
  // What shapes the rows (generate_tsv's --min-boxes, --net ...; --format is added): recorded beside a
  // resumable output, and a resume with other values is refused (bua/io/run_record.h).
  NamedValues run_options;
  // The run's inputs: the output may not be any of them (bua/io/output_guard.h).
  NamedValues inputs;
};

class FeatureSink {
 public:
  virtual ~FeatureSink() = default;
  virtual const std::set<std::string>& done_ids() const = 0;  // ids already in the output
  virtual void write(const FeatureRecord& record) = 0;
  virtual void finish() = 0;  // publishes the output under its final name
};

// Every sink first locks the output and refuses a path that is an input, of the wrong kind, or not an
// output of ours (bua/io/output_guard.h); a resumable one keeps a run record (bua/io/run_record.h).
// TSV layouts: rows are appended to "<path>.partial" (whole rows, flushed), which becomes <path> on finish();
// a resumed run reads the ids of either file, drops a row an interruption cut short, and carries on.
// NPZ and captioning: one file per image (and folder), each written to a temp file and renamed; a new
// (non-resumed) output is written under "<path>.partial" and renamed into place by finish().
// Failures to write (disk full) throw OutputError.
// HDF5: see bua/io/hdf5_features.h.
std::unique_ptr<FeatureSink> open_feature_sink(FeatureFormat format, const std::string& path,
                                               const FeatureSinkOptions& options = {});

}  // namespace bua
