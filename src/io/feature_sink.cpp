#include "bua/io/feature_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <optional>

#include "bua/io/captioning_features.h"
#include "bua/io/hdf5_features.h"
#include "bua/io/npz.h"
#include "bua/io/output_guard.h"
#include "bua/io/run_record.h"
#include "bua/io/tsv.h"
#include "bua/util/atomic_file.h"
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
    if (fs::exists(path_)) {
      refuse_other_layout(path_);
      fs::rename(path_, partial_);  // resume: grow the finished file
    }
    if (fs::exists(partial_)) {
      drop_unterminated_tail(partial_);
      refuse_other_layout(partial_);
      for (const auto& id : read_tsv_ids(partial_)) done_.insert(id);
    }
    // Plain write(2) calls: each row is on disk (in the page cache) when write() returns, and a failure
    // keeps its errno (ENOSPC) for the message.
    fd_ = ::open(partial_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) fail_output(partial_, "opening for writing", errno);
  }
  ~TsvSink() override {
    if (fd_ >= 0) ::close(fd_);
  }

  const std::set<std::string>& done_ids() const override { return done_; }

  void write(const FeatureRecord& r) override {
    const std::string row = tsv_row(r, layout_, partial_);
    size_t at = 0;
    while (at < row.size()) {
      const ssize_t n = ::write(fd_, row.data() + at, row.size() - at);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        const int err = n < 0 ? errno : EIO;
        // Leave whole rows only: the next run would drop the cut one, but a reader of the partial file
        // should not meet it either.
        if (::ftruncate(fd_, ::lseek(fd_, 0, SEEK_END) - static_cast<off_t>(at)) != 0) {}
        fail_output(partial_, "writing image " + r.image_id, err);
      }
      at += static_cast<size_t>(n);
    }
    done_.insert(r.image_id);
  }

  void finish() override {
    const int fd = fd_;
    fd_ = -1;
    const bool synced = ::fsync(fd) == 0;
    const int err = errno;
    if (::close(fd) != 0 || !synced) fail_output(partial_, "closing", synced ? errno : err);
    std::error_code ec;
    fs::rename(partial_, path_, ec);
    if (ec) fail(partial_, "cannot rename to " + path_ + ": " + ec.message());
  }

 private:
  // Rows of the other TSV layout must not be appended to (or under) rows of this one.
  void refuse_other_layout(const std::string& file) const {
    TsvReaderOptions options;
    options.skip_unterminated_last_row = true;
    TsvReader reader(file, options);
    std::vector<std::string_view> fields;
    if (reader.next_fields(fields) && reader.layout() && *reader.layout() != layout_)
      fail(file, std::string("holds rows in the ") + layout_name(*reader.layout()) + " layout; this run writes " +
                     layout_name(layout_) + " rows (resume with the same --format, or write to another output)");
  }

  std::string path_, partial_;
  TsvLayout layout_;
  int fd_ = -1;
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

// Removes a folder this run created for a conversion that did not finish, so nothing half-written is left
// that a reader could take for a complete output.
void remove_unfinished(const std::string& dir) {
  std::error_code ec;
  fs::remove_all(dir, ec);
}

class NpzSink : public FeatureSink {
 public:
  // `resume`: write into `dir` (generate_tsv). Otherwise into "<dir>.partial", renamed to `dir` by finish().
  NpzSink(const std::string& dir, NpzLayout layout, bool resume)
      : final_(dir), dir_(resume ? dir : dir + ".partial"), layout_(layout), staged_(!resume) {
    create_dir(dir_);
    for (const auto& f : list_feature_npz(dir_)) done_.insert(fs::path(f).stem().string());
  }
  ~NpzSink() override {
    if (staged_ && !finished_) remove_unfinished(dir_);
  }
  const std::set<std::string>& done_ids() const override { return done_; }
  void write(const FeatureRecord& r) override {
    write_feature_npz(feature_npz_path(dir_, r.image_id), r, layout_);
    done_.insert(r.image_id);
  }
  void finish() override {
    if (staged_) {
      std::error_code ec;
      fs::rename(dir_, final_, ec);  // replaces an empty folder only (checked before)
      if (ec) fail(dir_, "cannot rename to " + final_ + ": " + ec.message());
    }
    finished_ = true;
  }

 private:
  std::string final_, dir_;
  NpzLayout layout_;
  bool staged_, finished_ = false;
  std::set<std::string> done_;
};

class CaptioningSink : public FeatureSink {
 public:
  // As NpzSink: a conversion writes "<prefix>.partial_att" etc. and renames them on finish().
  CaptioningSink(const std::string& prefix, bool resume)
      : final_(captioning_dirs(prefix)), dirs_(captioning_dirs(resume ? prefix : prefix + ".partial")), staged_(!resume) {
    create_captioning_dirs(dirs_);
    for (const auto& id : list_captioning_ids(dirs_)) done_.insert(id);
  }
  ~CaptioningSink() override {
    if (staged_ && !finished_)
      for (const auto& d : {dirs_.att, dirs_.fc, dirs_.box}) remove_unfinished(d);
  }
  const std::set<std::string>& done_ids() const override { return done_; }
  void write(const FeatureRecord& r) override {
    write_captioning_record(dirs_, r);
    done_.insert(r.image_id);
  }
  void finish() override {
    if (staged_) {
      // _att last: its folder is what makes a prefix a captioning output.
      for (const auto& [from, to] : {std::pair{dirs_.fc, final_.fc}, {dirs_.box, final_.box}, {dirs_.att, final_.att}}) {
        std::error_code ec;
        fs::rename(from, to, ec);
        if (ec) fail(from, "cannot rename to " + to + ": " + ec.message());
      }
    }
    finished_ = true;
  }

 private:
  CaptioningDirs final_, dirs_;
  bool staged_, finished_ = false;
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

// The sink of a format, without the checks of open_feature_sink.
std::unique_ptr<FeatureSink> make_sink(FeatureFormat format, const std::string& path, const FeatureSinkOptions& o) {
  switch (format) {
    case FeatureFormat::kTsvOriginal:
    case FeatureFormat::kTsvLxmert: {
      const TsvLayout layout = format == FeatureFormat::kTsvLxmert ? TsvLayout::kLxmert : TsvLayout::kOriginal;
      if (o.resume) return std::make_unique<TsvSink>(path, layout);
      return std::make_unique<NewTsvSink>(path, layout);
    }
    case FeatureFormat::kNpzDir: return std::make_unique<NpzSink>(path, o.npz_layout, o.resume);
    case FeatureFormat::kCaptioning: return std::make_unique<CaptioningSink>(path, o.resume);
    case FeatureFormat::kHdf5Fixed: return std::make_unique<Hdf5Sink>(path, Hdf5Layout::kFixed, o.resume);
    case FeatureFormat::kHdf5Adaptive: return std::make_unique<Hdf5Sink>(path, Hdf5Layout::kAdaptive, o.resume);
  }
  fail(path, "unknown output format");
}

namespace {

// Holds the output's lock for the sink's life and keeps its run record: "not complete" from the start,
// "complete" once the inner sink published the output.
class GuardedSink : public FeatureSink {
 public:
  GuardedSink(std::unique_ptr<OutputLock> lock, std::unique_ptr<FeatureSink> inner, std::string path,
              std::optional<RunRecord> record)
      : lock_(std::move(lock)), inner_(std::move(inner)), path_(std::move(path)), record_(std::move(record)) {}
  const std::set<std::string>& done_ids() const override { return inner_->done_ids(); }
  void write(const FeatureRecord& r) override { inner_->write(r); }
  void finish() override {
    inner_->finish();
    std::error_code ec;
    if (record_) {
      record_->complete = true;
      write_run_record(path_, *record_);
    } else {
      // A conversion replaced the output: a record of an earlier run there no longer describes it.
      std::filesystem::remove(run_record_path(path_), ec);
    }
  }

 private:
  std::unique_ptr<OutputLock> lock_;  // destroyed last
  std::unique_ptr<FeatureSink> inner_;
  std::string path_;
  std::optional<RunRecord> record_;
};

bool output_exists(FeatureFormat format, const std::string& path) {
  std::error_code ec;
  auto there = [&](const std::string& p) { return fs::exists(fs::symlink_status(p, ec)); };
  if (format == FeatureFormat::kCaptioning) {
    const auto d = captioning_dirs(path);
    return there(d.att) || there(d.fc) || there(d.box);
  }
  return there(path) || there(path + ".partial");
}

}  // namespace

std::unique_ptr<FeatureSink> open_feature_sink(FeatureFormat format, const std::string& path,
                                               const FeatureSinkOptions& o) {
  if (path.empty()) fail("--out", "empty output path");
  const bool folder = format == FeatureFormat::kNpzDir || format == FeatureFormat::kCaptioning;
  const fs::path parent = fs::path(path).parent_path();
  std::error_code ec;
  if (folder && !parent.empty()) fs::create_directories(parent, ec);
  if (!parent.empty() && !fs::is_directory(parent, ec)) fail(path, "its folder " + parent.string() + " does not exist");
  auto lock = std::make_unique<OutputLock>(path);

  // What the output will hold, and what an existing one holds.
  std::optional<RunRecord> record;
  bool owned = false;
  if (o.resume) {
    record = RunRecord{{{"--format", feature_format_name(format)}}, false};
    record->options.insert(record->options.end(), o.run_options.begin(), o.run_options.end());
    const auto earlier = output_exists(format, path) ? read_run_record(path) : std::nullopt;
    if (earlier) {
      check_same_options(path, earlier->options, record->options);
      owned = true;
    } else if (output_exists(format, path)) {
      log_warn(path + ": no record of the settings it was written with (an older run?); assuming they match");
    }
  }
  check_output_target(format, path, o.resume, owned, o.inputs);
  auto sink = make_sink(format, path, o);
  if (record) write_run_record(path, *record);
  return std::make_unique<GuardedSink>(std::move(lock), std::move(sink), path, std::move(record));
}

}  // namespace bua
