// Where feature records go. Every sink is resumable — it knows which image ids it already holds — and
// never exposes a half-written output under its final name.
#pragma once
#include <memory>
#include <set>
#include <string>

#include "bua/io/feature_files.h"
#include "bua/io/feature_record.h"

namespace bua {

class FeatureSink {
 public:
  virtual ~FeatureSink() = default;
  virtual const std::set<std::string>& done_ids() const = 0;  // ids already in the output
  virtual void write(const FeatureRecord& record) = 0;
  virtual void finish() = 0;  // publishes the output under its final name
};

// TSV layouts: rows are appended to "<path>.partial" (whole rows, flushed), which becomes <path> on finish().
// A resumed run reads the ids of either file, drops a row an interruption cut short, and carries on.
// NPZ: one <dir>/<image_id>.npz per image, each written to a temp file and renamed.
std::unique_ptr<FeatureSink> open_feature_sink(FeatureFormat format, const std::string& path);

}  // namespace bua
