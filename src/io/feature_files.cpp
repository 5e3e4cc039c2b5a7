#include "bua/io/feature_files.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "bua/util/error.h"
#include "bua/util/log.h"
#include "bua/util/progress.h"

namespace bua {
namespace {

namespace fs = std::filesystem;

uint64_t size_of(const std::string& path) {
  std::error_code ec;
  auto s = fs::file_size(path, ec);
  return ec ? 0 : s;
}

std::string format_of(const FeatureSource& source) {
  if (source.is_npz_dir()) return "npz";
  return source.layout() ? layout_name(*source.layout()) : "empty";
}

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

// Writes records to a TSV of one layout or to an NPZ folder.
class FeatureSink {
 public:
  FeatureSink(FeatureFormat format, const std::string& output) : format_(format), output_(output) {
    if (format == FeatureFormat::kNpzDir) {
      std::error_code ec;
      fs::create_directories(output, ec);
      if (!fs::is_directory(output)) fail(output, "cannot create the output folder: " + ec.message());
    } else {
      tsv_ = std::make_unique<TsvWriter>(
          output, format == FeatureFormat::kTsvLxmert ? TsvLayout::kLxmert : TsvLayout::kOriginal);
    }
  }
  void write(const FeatureRecord& r) {
    if (tsv_) tsv_->write(r);
    else write_feature_npz(feature_npz_path(output_, r.image_id), r);
  }
  void close() {
    if (tsv_) tsv_->close();
  }

 private:
  FeatureFormat format_;
  std::string output_;
  std::unique_ptr<TsvWriter> tsv_;
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
    npz_files_ = list_feature_npz(path);
  } else {
    tsv_ = std::make_unique<TsvReader>(path);
  }
}

bool FeatureSource::next(FeatureRecord& record) {
  if (tsv_) return tsv_->next(record);
  if (npz_next_ >= npz_files_.size()) return false;
  record = read_feature_npz(npz_files_[npz_next_++]);
  return true;
}

std::string FeatureSource::where() const {
  if (tsv_) return tsv_->where();
  return npz_next_ == 0 ? path_ : npz_files_[npz_next_ - 1];
}

double FeatureSource::fraction_done() const {
  if (tsv_) return tsv_->file_size() ? static_cast<double>(tsv_->bytes_read()) / tsv_->file_size() : 0.0;
  return npz_files_.empty() ? 1.0 : static_cast<double>(npz_next_) / npz_files_.size();
}

std::optional<TsvLayout> FeatureSource::layout() const { return tsv_ ? tsv_->layout() : std::nullopt; }

FeatureFormat parse_feature_format(const std::string& name) {
  if (name == "tsv" || name == "original") return FeatureFormat::kTsvOriginal;
  if (name == "lxmert") return FeatureFormat::kTsvLxmert;
  if (name == "npz") return FeatureFormat::kNpzDir;
  fail("--convert-to", "unknown format '" + name + "' (expected tsv, lxmert or npz)");
}

// ---- operations ----

FeatureSummary validate_features(const std::string& path, bool progress) {
  FeatureSource source(path);
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
  s.format = format_of(source);
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

CopyResult convert_features(const std::string& input, FeatureFormat format, const std::string& output,
                            bool progress) {
  if (fs::weakly_canonical(input) == fs::weakly_canonical(output))
    fail(output, "is also the input; write the conversion somewhere else");
  FeatureSource source(input);
  FeatureSink sink(format, output);
  MaybeProgress bar(progress, "convert");
  std::unordered_set<std::string> seen;
  CopyResult result;
  FeatureRecord r;
  while (source.next(r)) {
    if (format == FeatureFormat::kTsvLxmert && !r.has_objects())
      fail(source.where(), "image " + r.image_id +
                               " has no objects_id/objects_conf/attrs_id/attrs_conf, which the LXMERT layout needs "
                               "(extract with the object fields to get them)");
    if (!seen.insert(r.image_id).second) {
      log_warn(source.where() + ": image " + r.image_id + " already written; this repeat is dropped");
      ++result.duplicates;
      continue;
    }
    sink.write(r);
    ++result.rows;
    bar.update(result.rows, source.fraction_done());
  }
  sink.close();
  bar.finish();
  return result;
}

CopyResult merge_feature_tsvs(const std::string& output, const std::vector<std::string>& inputs, bool progress) {
  if (inputs.empty()) fail(output, "nothing to merge: no input files");
  std::optional<TsvLayout> layout;
  std::string layout_from;
  uint64_t total_bytes = 0;
  for (const auto& in : inputs) {
    std::error_code ec;
    if (fs::is_directory(in, ec)) fail(in, "is a folder; --merge joins TSV files");
    auto l = first_row_layout(in);
    if (l && layout && *l != *layout)
      fail(in, std::string("is in the ") + layout_name(*l) + " layout but " + layout_from + " is " + layout_name(*layout));
    if (l && !layout) layout = l, layout_from = in;
    total_bytes += size_of(in);
  }

  TsvWriter writer(output, layout.value_or(TsvLayout::kOriginal));
  MaybeProgress bar(progress, "merge");
  std::unordered_set<std::string> seen;
  CopyResult result;
  uint64_t done_bytes = 0;
  for (const auto& in : inputs) {
    TsvReader reader(in);
    FeatureRecord r;
    while (reader.next(r)) {
      if (!seen.insert(r.image_id).second) {
        log_warn(reader.where() + ": image " + r.image_id + " already merged; this repeat is dropped");
        ++result.duplicates;
        continue;
      }
      writer.write(r);
      ++result.rows;
      bar.update(result.rows, total_bytes ? static_cast<double>(done_bytes + reader.bytes_read()) / total_bytes : 0.0);
    }
    done_bytes += reader.file_size();
  }
  writer.close();
  bar.finish();
  return result;
}

}  // namespace bua
