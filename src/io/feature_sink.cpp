#include "bua/features/sink.h"

#include <filesystem>
#include <fstream>

#include "bua/io/npz.h"
#include "bua/io/tsv.h"
#include "bua/util/error.h"
#include "bua/util/log.h"

namespace fs = std::filesystem;

namespace bua {

namespace {

// Cuts a file back to the end of its last complete line.
void drop_unterminated_tail(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  const auto size = static_cast<int64_t>(in.tellg());
  int64_t keep = size;
  char c = 0;
  while (keep > 0) {
    in.seekg(keep - 1);
    in.get(c);
    if (c == '\n') break;
    --keep;
  }
  if (keep < size) {
    log_warn(path + ": dropping an unterminated last row (" + std::to_string(size - keep) + " bytes) left by an interrupted run");
    fs::resize_file(path, static_cast<uintmax_t>(keep));
  }
}

class TsvSink : public FeatureSink {
 public:
  TsvSink(const std::string& path, TsvLayout layout) : path_(path), partial_(path + ".partial"), layout_(layout) {
    if (fs::exists(path_) && fs::exists(partial_))
      fail(path_, "both it and " + partial_ + " exist; remove the one that is not wanted and run again");
    if (fs::exists(path_)) fs::rename(path_, partial_);  // resume: grow the finished file
    if (fs::exists(partial_)) {
      drop_unterminated_tail(partial_);
      for (const auto& id : read_tsv_ids(partial_)) done_.insert(id);
    }
    out_.open(partial_, std::ios::binary | std::ios::app);
    if (!out_) fail(partial_, "cannot open for writing");
  }

  const std::set<std::string>& done_ids() const override { return done_; }

  void write(const FeatureRecord& r) override {
    out_ << tsv_row(r, layout_, partial_);
    out_.flush();
    if (!out_) fail(partial_, "write failed (disk full?)");
    done_.insert(r.image_id);
  }

  void finish() override {
    out_.close();
    if (!out_) fail(partial_, "close failed");
    fs::rename(partial_, path_);
  }

 private:
  std::string path_, partial_;
  TsvLayout layout_;
  std::ofstream out_;
  std::set<std::string> done_;
};

class NpzSink : public FeatureSink {
 public:
  explicit NpzSink(const std::string& dir) : dir_(dir) {
    fs::create_directories(dir_);
    for (const auto& f : list_feature_npz(dir_)) done_.insert(fs::path(f).stem().string());
  }
  const std::set<std::string>& done_ids() const override { return done_; }
  void write(const FeatureRecord& r) override {
    write_feature_npz(feature_npz_path(dir_, r.image_id), r);
    done_.insert(r.image_id);
  }
  void finish() override {}

 private:
  std::string dir_;
  std::set<std::string> done_;
};

}  // namespace

std::unique_ptr<FeatureSink> open_feature_sink(FeatureFormat format, const std::string& path) {
  switch (format) {
    case FeatureFormat::kTsvOriginal: return std::make_unique<TsvSink>(path, TsvLayout::kOriginal);
    case FeatureFormat::kTsvLxmert: return std::make_unique<TsvSink>(path, TsvLayout::kLxmert);
    case FeatureFormat::kNpzDir: return std::make_unique<NpzSink>(path);
  }
  fail(path, "unknown output format");
}

}  // namespace bua
