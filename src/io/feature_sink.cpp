#include "bua/io/feature_sink.h"

#include <filesystem>
#include <fstream>

#include "bua/io/captioning_features.h"
#include "bua/io/hdf5_features.h"
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

// A new TSV that replaces `path` only when complete (conversions).
class NewTsvSink : public FeatureSink {
 public:
  NewTsvSink(const std::string& path, TsvLayout layout) : writer_(path, layout) {}
  const std::set<std::string>& done_ids() const override { return done_; }
  void write(const FeatureRecord& r) override {
    writer_.write(r);
    done_.insert(r.image_id);
  }
  void finish() override { writer_.close(); }

 private:
  TsvWriter writer_;
  std::set<std::string> done_;
};

void create_dir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (!fs::is_directory(dir)) fail(dir, "cannot create the output folder: " + ec.message());
}

class NpzSink : public FeatureSink {
 public:
  NpzSink(const std::string& dir, NpzLayout layout) : dir_(dir), layout_(layout) {
    create_dir(dir_);
    for (const auto& f : list_feature_npz(dir_)) done_.insert(fs::path(f).stem().string());
  }
  const std::set<std::string>& done_ids() const override { return done_; }
  void write(const FeatureRecord& r) override {
    write_feature_npz(feature_npz_path(dir_, r.image_id), r, layout_);
    done_.insert(r.image_id);
  }
  void finish() override {}

 private:
  std::string dir_;
  NpzLayout layout_;
  std::set<std::string> done_;
};

class CaptioningSink : public FeatureSink {
 public:
  explicit CaptioningSink(const std::string& prefix) : dirs_(captioning_dirs(prefix)) {
    create_captioning_dirs(dirs_);
    for (const auto& id : list_captioning_ids(dirs_)) done_.insert(id);
  }
  const std::set<std::string>& done_ids() const override { return done_; }
  void write(const FeatureRecord& r) override {
    write_captioning_record(dirs_, r);
    done_.insert(r.image_id);
  }
  void finish() override {}

 private:
  CaptioningDirs dirs_;
  std::set<std::string> done_;
};

class Hdf5Sink : public FeatureSink {
 public:
  Hdf5Sink(const std::string& path, Hdf5Layout layout, bool resume) : writer_(path, layout, resume) {
    done_.insert(writer_.ids().begin(), writer_.ids().end());
  }
  const std::set<std::string>& done_ids() const override { return done_; }
  void write(const FeatureRecord& r) override {
    if (done_.count(r.image_id)) fail(r.image_id, "already written to this file");
    writer_.write(r);
    done_.insert(r.image_id);
  }
  void finish() override { writer_.finish(); }

 private:
  Hdf5FeatureWriter writer_;
  std::set<std::string> done_;
};

struct FormatName {
  FeatureFormat format;
  const char* name;
};
constexpr FormatName kFormatNames[] = {
    {FeatureFormat::kTsvOriginal, "tsv"},        {FeatureFormat::kTsvLxmert, "lxmert"},
    {FeatureFormat::kNpzDir, "npz"},             {FeatureFormat::kHdf5Fixed, "hdf5-fixed"},
    {FeatureFormat::kHdf5Adaptive, "hdf5-adaptive"}, {FeatureFormat::kCaptioning, "captioning"},
};

}  // namespace

FeatureFormat parse_feature_format(const std::string& name, const std::string& flag) {
  if (name == "original") return FeatureFormat::kTsvOriginal;
  for (const auto& f : kFormatNames)
    if (name == f.name) return f.format;
  fail(flag, "unknown format '" + name + "' (expected " + feature_format_names() + ")");
}

const char* feature_format_name(FeatureFormat format) {
  for (const auto& f : kFormatNames)
    if (format == f.format) return f.name;
  return "?";
}

std::string feature_format_names() {
  std::string s;
  for (const auto& f : kFormatNames) s += (s.empty() ? "" : " | ") + std::string(f.name);
  return s;
}

std::unique_ptr<FeatureSink> open_feature_sink(FeatureFormat format, const std::string& path,
                                               const FeatureSinkOptions& o) {
  switch (format) {
    case FeatureFormat::kTsvOriginal:
    case FeatureFormat::kTsvLxmert: {
      const TsvLayout layout = format == FeatureFormat::kTsvLxmert ? TsvLayout::kLxmert : TsvLayout::kOriginal;
      if (o.resume) return std::make_unique<TsvSink>(path, layout);
      return std::make_unique<NewTsvSink>(path, layout);
    }
    case FeatureFormat::kNpzDir: return std::make_unique<NpzSink>(path, o.npz_layout);
    case FeatureFormat::kCaptioning: return std::make_unique<CaptioningSink>(path);
    case FeatureFormat::kHdf5Fixed: return std::make_unique<Hdf5Sink>(path, Hdf5Layout::kFixed, o.resume);
    case FeatureFormat::kHdf5Adaptive: return std::make_unique<Hdf5Sink>(path, Hdf5Layout::kAdaptive, o.resume);
  }
  fail(path, "unknown output format");
}

}  // namespace bua
