#include "bua/io/feature_files.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "bua/io/captioning_features.h"
#include "bua/io/hdf5_features.h"
#include "bua/io/run_record.h"
#include "bua/util/error.h"
#include "bua/util/log.h"
#include "bua/util/progress.h"

namespace bua {
namespace {

namespace fs = std::filesystem;

// Optional progress, fed with the share of the input read.
class MaybeProgress {
 public:
  MaybeProgress(bool on, const std::string& label) {
    if (on) progress_ = std::make_unique<Progress>(label, -1, "rows");
  }
  void update(int64_t rows, double fraction) {
    if (progress_) progress_->set(rows, fraction);
  }
  void finish() {
    if (progress_) progress_->finish();
  }

 private:
  std::unique_ptr<Progress> progress_;
};

// The layout of the first row of a TSV; nullopt for an empty file.
std::optional<TsvLayout> first_row_layout(const std::string& path) {
  TsvReader reader(path);
  std::vector<std::string_view> fields;
  return reader.next_fields(fields) ? reader.layout() : std::nullopt;
}

std::string join_floats(const float* v, size_t n) {
  std::ostringstream s;
  s.precision(6);
  for (size_t i = 0; i < n; ++i) s << (i ? " " : "") << v[i];
  return s.str();
}

template <class T>
std::string join_values(const std::vector<T>& v, size_t max) {
  std::ostringstream s;
  s.precision(6);
  for (size_t i = 0; i < std::min(v.size(), max); ++i) s << (i ? " " : "") << v[i];
  if (v.size() > max) s << " ...";
  return s.str();
}

}  // namespace

// ---- FeatureSource ----

FeatureSource::FeatureSource(const std::string& path) : path_(path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    items_ = list_feature_npz(path);
  } else if (!fs::exists(path, ec) && is_captioning_prefix(path)) {
    captioning_ = true;
    items_ = list_captioning_ids(captioning_dirs(path));
  } else if (looks_like_hdf5(path)) {
    hdf5_ = std::make_unique<Hdf5FeatureReader>(path);
  } else {
    tsv_ = std::make_unique<TsvReader>(path);
  }
}

FeatureSource::~FeatureSource() = default;

bool FeatureSource::next(FeatureRecord& record) {
  if (tsv_) return tsv_->next(record);
  if (hdf5_) {
    if (hdf5_next_ >= hdf5_->size()) return false;
    record = hdf5_->read(hdf5_next_++);
    return true;
  }
  if (item_next_ >= items_.size()) return false;
  const std::string& item = items_[item_next_++];
  record = captioning_ ? read_captioning_record(captioning_dirs(path_), item) : read_feature_npz(item);
  return true;
}

std::string FeatureSource::where() const {
  if (tsv_) return tsv_->where();
  if (hdf5_) return path_ + ": row " + std::to_string(hdf5_next_ - 1);
  if (item_next_ == 0) return path_;
  const std::string& item = items_[item_next_ - 1];
  return captioning_ ? captioning_dirs(path_).att + "/" + item + ".npz" : item;
}

double FeatureSource::fraction_done() const {
  if (tsv_) return tsv_->file_size() ? static_cast<double>(tsv_->bytes_read()) / tsv_->file_size() : 0.0;
  if (hdf5_) return hdf5_->size() ? static_cast<double>(hdf5_next_) / hdf5_->size() : 1.0;
  return items_.empty() ? 1.0 : static_cast<double>(item_next_) / items_.size();
}

FeatureFormat FeatureSource::format() const {
  if (tsv_) return tsv_->layout() == TsvLayout::kLxmert ? FeatureFormat::kTsvLxmert : FeatureFormat::kTsvOriginal;
  if (hdf5_) return hdf5_->layout() == Hdf5Layout::kFixed ? FeatureFormat::kHdf5Fixed : FeatureFormat::kHdf5Adaptive;
  return captioning_ ? FeatureFormat::kCaptioning : FeatureFormat::kNpzDir;
}

std::string FeatureSource::format_label() const {
  if (tsv_) return tsv_->layout() ? layout_name(*tsv_->layout()) : "empty";
  return feature_format_name(format());
}

// ---- operations ----

FeatureSummary validate_features(const std::string& path, bool progress) {
  FeatureSource source(path);
  // A folder output fills up file by file: only its run record tells an interrupted one from a finished one.
  const FeatureFormat kind = source.format();
  if (kind == FeatureFormat::kNpzDir || kind == FeatureFormat::kCaptioning) {
    const auto record = read_run_record(path);
    if (record && !record->complete)
      fail(path, "is an unfinished output (its run was interrupted or is still going; " + run_record_path(path) +
                     " says so): run it again to complete it");
  }
  MaybeProgress bar(progress, "validate");
  FeatureSummary s;
  std::unordered_map<std::string, std::string> seen;  // id -> where it was
  FeatureRecord r;
  int64_t total_boxes = 0;
  bool all_objects = true;
  while (source.next(r)) {
    std::string at = source.where();
    auto [it, fresh] = seen.emplace(r.image_id, at);
    if (!fresh) fail(at, "image " + r.image_id + " repeats the id of " + it->second);
    if (r.num_boxes > 0) {
      if (s.feature_dim == 0) s.feature_dim = r.feature_dim();
      else if (r.feature_dim() != s.feature_dim)
        fail(at, "image " + r.image_id + " has feature dim " + std::to_string(r.feature_dim()) +
                     ", earlier rows have " + std::to_string(s.feature_dim));
    }
    s.min_boxes = s.rows == 0 ? r.num_boxes : std::min(s.min_boxes, r.num_boxes);
    s.max_boxes = std::max(s.max_boxes, r.num_boxes);
    total_boxes += r.num_boxes;
    all_objects = all_objects && r.has_objects();
    ++s.rows;
    bar.update(s.rows, source.fraction_done());
  }
  bar.finish();
  s.mean_boxes = s.rows ? static_cast<double>(total_boxes) / s.rows : 0.0;
  s.has_objects = s.rows > 0 && all_objects;
  s.format = source.format_label();
  return s;
}

std::optional<FeatureRecord> find_feature_record(const std::string& path, const std::string& image_id,
                                                 std::string* where) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    std::string file = feature_npz_path(path, image_id);
    if (!fs::exists(file)) return std::nullopt;
    if (where) *where = file;
    return read_feature_npz(file);
  }
  if (!fs::exists(path, ec) || looks_like_hdf5(path)) {
    FeatureSource source(path);
    FeatureRecord r;
    while (source.next(r)) {
      if (r.image_id != image_id) continue;
      if (where) *where = source.where();
      return r;
    }
    return std::nullopt;
  }
  // Compare ids before decoding: only the matching row is decoded.
  TsvReader reader(path);
  std::vector<std::string_view> fields;
  while (reader.next_fields(fields)) {
    if (fields[0] != image_id) continue;
    if (where) *where = reader.where();
    FeatureRecord r;
    reader.decode(fields, r);
    return r;
  }
  return std::nullopt;
}

std::string describe_record(const FeatureRecord& r, int max_rows, int max_values) {
  std::ostringstream s;
  s.precision(6);
  s << "image_id: " << r.image_id << "\n"
    << "image_w: " << r.image_w << "\n"
    << "image_h: " << r.image_h << "\n"
    << "num_boxes: " << r.num_boxes << "\n"
    << "boxes: [" << r.num_boxes << ", 4] float32 (x1 y1 x2 y2)\n";
  for (int64_t i = 0; i < std::min<int64_t>(r.num_boxes, max_rows); ++i)
    s << "  " << i << ": " << join_floats(&r.boxes[4 * i], 4) << "\n";
  if (r.num_boxes > max_rows) s << "  ...\n";
  int64_t dim = r.feature_dim();
  s << "features: [" << r.num_boxes << ", " << dim << "] float32";
  if (!r.features.empty()) {
    auto [lo, hi] = std::minmax_element(r.features.begin(), r.features.end());
    double sum = 0;
    for (float v : r.features) sum += v;
    s << ", min " << *lo << ", max " << *hi << ", mean " << sum / r.features.size();
  }
  s << "\n";
  for (int64_t i = 0; i < std::min<int64_t>(r.num_boxes, max_rows); ++i) {
    size_t n = static_cast<size_t>(std::min<int64_t>(dim, max_values));
    s << "  " << i << ": " << join_floats(&r.features[i * dim], n) << (dim > max_values ? " ..." : "") << "\n";
  }
  if (r.num_boxes > max_rows) s << "  ...\n";
  if (r.has_objects()) {
    size_t n = static_cast<size_t>(max_values);
    s << "objects_id: [" << r.objects_id.size() << "] int64: " << join_values(r.objects_id, n) << "\n"
      << "objects_conf: [" << r.objects_conf.size() << "] float32: " << join_values(r.objects_conf, n) << "\n"
      << "attrs_id: [" << r.attrs_id.size() << "] int64: " << join_values(r.attrs_id, n) << "\n"
      << "attrs_conf: [" << r.attrs_conf.size() << "] float32: " << join_values(r.attrs_conf, n) << "\n";
  } else {
    s << "objects/attributes: none\n";
  }
  return s.str();
}

namespace {

// Copies every record of `source` to `sink` that is not in `seen` yet (a repeat is dropped with a warning).
// `verb` says what happened to the first record of a repeated id ("written", "merged").
void copy_records(FeatureSource& source, FeatureFormat format, FeatureSink& sink, std::unordered_set<std::string>& seen,
                  CopyResult& result, const std::string& verb, const std::function<void()>& on_record) {
  FeatureRecord r;
  while (source.next(r)) {
    if (format == FeatureFormat::kTsvLxmert && !r.has_objects())
      fail(source.where(), "image " + r.image_id +
                               " has no objects_id/objects_conf/attrs_id/attrs_conf, which the LXMERT layout needs "
                               "(extract with the object fields to get them)");
    if (!seen.insert(r.image_id).second) {
      log_warn(source.where() + ": image " + r.image_id + " already " + verb + "; this repeat is dropped");
      ++result.duplicates;
      continue;
    }
    sink.write(r);
    ++result.rows;
    on_record();
  }
}

bool same_path(const std::string& a, const std::string& b) {
  std::error_code ec1, ec2;
  return fs::weakly_canonical(a, ec1) == fs::weakly_canonical(b, ec2);
}

}  // namespace

CopyResult convert_features(const std::string& input, FeatureFormat format, const std::string& output,
                            bool progress, const FeatureSinkOptions& options) {
  if (same_path(input, output)) fail(output, "is also the input; write the conversion somewhere else");
  FeatureSource source(input);
  FeatureSinkOptions o = options;
  o.resume = false;
  o.inputs.emplace_back("feature file", input);
  auto sink = open_feature_sink(format, output, o);
  MaybeProgress bar(progress, "convert");
  std::unordered_set<std::string> seen;
  CopyResult result;
  copy_records(source, format, *sink, seen, result, "written", [&] { bar.update(result.rows, source.fraction_done()); });
  sink->finish();
  bar.finish();
  return result;
}

CopyResult merge_features(const std::string& output, const std::vector<std::string>& inputs,
                          std::optional<FeatureFormat> format, bool progress, const FeatureSinkOptions& options) {
  if (inputs.empty()) fail(output, "nothing to merge: no input files");
  for (const auto& in : inputs)
    if (same_path(in, output)) fail(output, "is also one of the inputs; merge into another path");
  if (!format) {
    // Without a format: the inputs' common TSV layout, as the original's per-GPU files are joined.
    std::optional<TsvLayout> layout;
    std::string layout_from;
    for (const auto& in : inputs) {
      std::error_code ec;
      if (fs::is_directory(in, ec) || looks_like_hdf5(in) || !fs::exists(in, ec))
        fail(in, "is not a TSV file; give --convert-to FORMAT to merge other formats");
      auto l = first_row_layout(in);
      if (l && layout && *l != *layout)
        fail(in, std::string("is in the ") + layout_name(*l) + " layout but " + layout_from + " is " + layout_name(*layout));
      if (l && !layout) layout = l, layout_from = in;
    }
    format = layout == TsvLayout::kLxmert ? FeatureFormat::kTsvLxmert : FeatureFormat::kTsvOriginal;
  }
  FeatureSinkOptions o = options;
  o.resume = false;
  for (const auto& in : inputs) o.inputs.emplace_back("merged", in);
  auto sink = open_feature_sink(*format, output, o);
  MaybeProgress bar(progress, "merge");
  std::unordered_set<std::string> seen;
  CopyResult result;
  for (size_t i = 0; i < inputs.size(); ++i) {
    FeatureSource source(inputs[i]);
    copy_records(source, *format, *sink, seen, result, "merged", [&] {
      bar.update(result.rows, (static_cast<double>(i) + source.fraction_done()) / inputs.size());
    });
  }
  sink->finish();
  bar.finish();
  return result;
}

}  // namespace bua
