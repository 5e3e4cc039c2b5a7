#include "bua/io/hdf5_features.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "bua/io/pickle.h"
#include "bua/util/atomic_file.h"
#include "bua/util/error.h"
#include "bua/util/log.h"

#ifdef BUA_HAVE_HDF5
#include <hdf5.h>

#include <chrono>
#include <map>
#endif

namespace fs = std::filesystem;

namespace bua {

bool looks_like_hdf5(const std::string& path) {
  static const char kSignature[8] = {'\x89', 'H', 'D', 'F', '\r', '\n', '\x1a', '\n'};
  std::ifstream in(path, std::ios::binary);
  char head[8] = {};
  return in.read(head, 8) && std::memcmp(head, kSignature, 8) == 0;
}

#ifndef BUA_HAVE_HDF5

bool hdf5_available() { return false; }
struct Hdf5FeatureWriter::File {};
struct Hdf5FeatureReader::File {};
Hdf5FeatureWriter::Hdf5FeatureWriter(std::string path, Hdf5Layout, bool, int64_t) : path_(std::move(path)) {
  fail(path_, "this build has no HDF5 support (libhdf5 was not found when it was compiled)");
}
Hdf5FeatureWriter::~Hdf5FeatureWriter() = default;
bool Hdf5FeatureWriter::reopen() { return false; }
void Hdf5FeatureWriter::write(const FeatureRecord&) {}
void Hdf5FeatureWriter::finish() {}
Hdf5FeatureReader::Hdf5FeatureReader(const std::string& path) : path_(path) {
  fail(path_, "this build has no HDF5 support (libhdf5 was not found when it was compiled)");
}
Hdf5FeatureReader::~Hdf5FeatureReader() = default;
FeatureRecord Hdf5FeatureReader::read(int64_t) const { return {}; }

#else

bool hdf5_available() { return true; }

namespace {

constexpr const char* kRowsAttr = "bua_rows";      // images whose data was flushed
constexpr const char* kLayoutAttr = "bua_layout";  // Hdf5Layout as an integer
constexpr int kDeflateLevel = 1;                   // features compress little; keep writing fast
constexpr auto kFlushEvery = std::chrono::seconds(2);
// Bounds on what a file may declare before we allocate for one record.
constexpr hsize_t kMaxBoxesPerImage = 1 << 16;
constexpr hsize_t kMaxFeatureDim = 1 << 20;
constexpr hsize_t kMaxRecordFloats = hsize_t(1) << 28;

// Owns an HDF5 identifier and closes it with the function of its kind.
class Id {
 public:
  Id() = default;
  Id(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~Id() { reset(); }
  Id(Id&& o) noexcept : id_(o.id_), close_(o.close_) { o.id_ = -1; }
  Id& operator=(Id&& o) noexcept {
    if (this != &o) reset(), id_ = o.id_, close_ = o.close_, o.id_ = -1;
    return *this;
  }
  Id(const Id&) = delete;
  Id& operator=(const Id&) = delete;
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  void reset() { (void)release(); }
  // Closes now and says whether closing worked (closing a file writes what HDF5 still buffers).
  herr_t release() {
    herr_t status = 0;
    if (id_ >= 0 && close_) status = close_(id_);
    id_ = -1;
    return status;
  }

 private:
  hid_t id_ = -1;
  herr_t (*close_)(hid_t) = nullptr;
};

// HDF5 prints its error stack on stderr by default; we report errors ourselves, once, naming the file.
void silence_hdf5() {
  static const bool once = [] { return H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr) >= 0; }();
  (void)once;
}

Id check(hid_t id, herr_t (*close)(hid_t), const std::string& where, const std::string& what) {
  if (id < 0) fail(where, what);
  return Id(id, close);
}

Id string_type() {
  Id t(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(t.get(), H5T_VARIABLE);
  H5Tset_cset(t.get(), H5T_CSET_UTF8);
  return t;
}

std::vector<hsize_t> dims_of(hid_t dataset) {
  Id space(H5Dget_space(dataset), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  std::vector<hsize_t> dims(rank > 0 ? rank : 0);
  if (rank > 0) H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  return dims;
}

// A dataset that grows along its first dimension; the other dimensions are fixed. Strings (image_ids) have
// no fixed memory type: theirs is made where they are written.
struct Column {
  std::string name;
  hid_t mem_type;
  Id dataset;
};

// Each dataset keeps a few chunks in memory, so appending one image to a partly filled compressed chunk does
// not decompress and recompress it every time.
Id access_props() {
  Id p(H5Pcreate(H5P_DATASET_ACCESS), H5Pclose);
  H5Pset_chunk_cache(p.get(), 521, 4 << 20, 1.0);
  return p;
}

// Creates a chunked, compressed dataset of shape [0, inner...].
Id create_column(hid_t file, const std::string& name, hid_t file_type, const std::vector<hsize_t>& inner,
                 hsize_t chunk_rows, const std::string& where) {
  std::vector<hsize_t> dims{0}, max{H5S_UNLIMITED}, chunk{chunk_rows};
  for (hsize_t d : inner) dims.push_back(d), max.push_back(d), chunk.push_back(d);
  Id space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), max.data()), H5Sclose);
  Id props(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  H5Pset_chunk(props.get(), static_cast<int>(chunk.size()), chunk.data());
  if (H5Tget_class(file_type) != H5T_STRING) {
    H5Pset_shuffle(props.get());
    H5Pset_deflate(props.get(), kDeflateLevel);
  }
  Id access = access_props();
  return check(H5Dcreate2(file, name.c_str(), file_type, space.get(), H5P_DEFAULT, props.get(), access.get()),
               H5Dclose, where, "cannot create dataset " + name);
}

// HDF5 reports no errno of its own; the one its file driver left says whether the disk was full.
[[noreturn]] void fail_hdf5_write(const std::string& where, const std::string& what) {
  const int err = errno;
  if (err == ENOSPC || err == EDQUOT) fail_output(where, what, err);
  throw OutputError(where + ": " + what + " failed (no space left on the device?)");
}

void append(const Column& c, hid_t mem_type, hsize_t rows, const void* data, const std::string& where) {
  if (rows == 0) return;
  auto dims = dims_of(c.dataset.get());
  std::vector<hsize_t> grown = dims, start(dims.size(), 0), count = dims;
  grown[0] += rows;
  start[0] = dims[0];
  count[0] = rows;
  if (H5Dset_extent(c.dataset.get(), grown.data()) < 0) fail(where, "cannot extend dataset " + c.name);
  Id file_space(H5Dget_space(c.dataset.get()), H5Sclose);
  H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr);
  Id mem_space(H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr), H5Sclose);
  errno = 0;
  if (H5Dwrite(c.dataset.get(), mem_type, mem_space.get(), file_space.get(), H5P_DEFAULT, data) < 0)
    fail_hdf5_write(where, "writing dataset " + c.name);
}

// Reads rows [first, first + rows) of a dataset into `out` (sized by the caller).
void read_rows(hid_t dataset, hid_t mem_type, hsize_t first, hsize_t rows, void* out, const std::string& where,
               const std::string& name) {
  auto dims = dims_of(dataset);
  if (dims.empty() || first + rows > dims[0]) fail(where, "dataset " + name + " is shorter than its index says");
  if (rows == 0) return;
  std::vector<hsize_t> start(dims.size(), 0), count = dims;
  start[0] = first;
  count[0] = rows;
  Id file_space(H5Dget_space(dataset), H5Sclose);
  H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr);
  Id mem_space(H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr), H5Sclose);
  if (H5Dread(dataset, mem_type, mem_space.get(), file_space.get(), H5P_DEFAULT, out) < 0)
    fail(where, "cannot read dataset " + name + " (corrupt file?)");
}

void shrink(hid_t dataset, hsize_t rows, const std::string& where) {
  auto dims = dims_of(dataset);
  if (dims.empty() || dims[0] < rows) fail(where, "a dataset is shorter than the rows the file says it holds");
  dims[0] = rows;
  if (H5Dset_extent(dataset, dims.data()) < 0) fail(where, "cannot cut a dataset back to its flushed rows");
}

void write_scalar_attr(hid_t file, const char* name, int64_t value) {
  if (H5Aexists(file, name) > 0) H5Adelete(file, name);
  Id space(H5Screate(H5S_SCALAR), H5Sclose);
  Id attr(H5Acreate2(file, name, H5T_STD_I64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  H5Awrite(attr.get(), H5T_NATIVE_INT64, &value);
}

bool read_scalar_attr(hid_t file, const char* name, int64_t* value) {
  if (H5Aexists(file, name) <= 0) return false;
  Id attr(H5Aopen(file, name, H5P_DEFAULT), H5Aclose);
  return attr.valid() && H5Aread(attr.get(), H5T_NATIVE_INT64, value) >= 0;
}

const char* layout_text(Hdf5Layout l) { return l == Hdf5Layout::kFixed ? "fixed" : "adaptive"; }

// The per-box spatial features of the converters, in float32 as numpy computes them from float32 boxes and
// integer image sizes.
std::vector<float> spatial_features(const FeatureRecord& r) {
  const float w = static_cast<float>(r.image_w), h = static_cast<float>(r.image_h);
  std::vector<float> s(static_cast<size_t>(r.num_boxes) * 6);
  for (int64_t i = 0; i < r.num_boxes; ++i) {
    const float* b = &r.boxes[4 * i];
    const float sw = (b[2] - b[0]) / w, sh = (b[3] - b[1]) / h, sx = b[0] / w, sy = b[1] / h;
    float* o = &s[6 * i];
    o[0] = sx, o[1] = sy, o[2] = sx + sw, o[3] = sy + sh, o[4] = sw, o[5] = sh;
  }
  return s;
}

// The columns of a layout: name, file type, memory type, trailing dims and chunk rows.
struct ColumnSpec {
  std::string name;
  hid_t file_type, mem_type;
  std::vector<hsize_t> inner;
  hsize_t chunk_rows;
};

// k: boxes per image (fixed layout), d: feature dim, str: the file type of the id strings.
std::vector<ColumnSpec> column_specs(Hdf5Layout layout, hsize_t k, hsize_t d, bool objects, hid_t str) {
  const bool fixed = layout == Hdf5Layout::kFixed;
  auto per_box = [&](std::vector<hsize_t> tail) {
    if (fixed) tail.insert(tail.begin(), k);
    return tail;
  };
  // About 1 MB feature chunks; one image per chunk in the fixed layout, as a reader takes one image at a time.
  const hsize_t feature_rows = fixed ? 1 : std::max<hsize_t>(1, (1 << 18) / std::max<hsize_t>(d, 1));
  const hsize_t box_rows = fixed ? std::max<hsize_t>(1, 1024 / std::max<hsize_t>(k, 1)) : 1024;
  std::vector<ColumnSpec> s = {
      {"image_features", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, per_box({d}), feature_rows},
      {"image_bb", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, per_box({4}), box_rows},
      {"spatial_features", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, per_box({6}), box_rows},
      {"image_ids", str, -1, {}, 1024},
      {"image_w", H5T_STD_I32LE, H5T_NATIVE_INT32, {}, 1024},
      {"image_h", H5T_STD_I32LE, H5T_NATIVE_INT32, {}, 1024},
  };
  if (!fixed) s.push_back({"pos_boxes", H5T_STD_I32LE, H5T_NATIVE_INT32, {2}, 1024});
  if (objects) {
    s.push_back({"objects_id", H5T_STD_I64LE, H5T_NATIVE_INT64, per_box({}), box_rows});
    s.push_back({"objects_conf", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, per_box({}), box_rows});
    s.push_back({"attrs_id", H5T_STD_I64LE, H5T_NATIVE_INT64, per_box({}), box_rows});
    s.push_back({"attrs_conf", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, per_box({}), box_rows});
  }
  return s;
}

std::vector<std::string> read_ids(hid_t dataset, hsize_t rows, const std::string& where) {
  Id str = string_type();
  std::vector<char*> raw(rows, nullptr);
  read_rows(dataset, str.get(), 0, rows, raw.data(), where, "image_ids");
  std::vector<std::string> ids;
  ids.reserve(rows);
  for (char* s : raw) ids.emplace_back(s ? s : "");
  if (rows > 0) {
    Id mem(H5Screate_simple(1, &rows, nullptr), H5Sclose);
    H5Dvlen_reclaim(str.get(), mem.get(), H5P_DEFAULT, raw.data());
  }
  return ids;
}

}  // namespace

// ---- writer ----

struct Hdf5FeatureWriter::File {
  Id file;
  std::map<std::string, Column> columns;
  bool has_objects = false;
  hsize_t boxes_per_image = 0;  // kFixed
  hsize_t feature_dim = 0;
  int64_t total_boxes = 0;      // kAdaptive
  int64_t unflushed = 0;
  std::chrono::steady_clock::time_point last_flush = std::chrono::steady_clock::now();

  Column& col(const std::string& name) { return columns.at(name); }
  bool created() const { return !columns.empty(); }
};

Hdf5FeatureWriter::Hdf5FeatureWriter(std::string path, Hdf5Layout layout, bool resume, int64_t flush_rows)
    : path_(std::move(path)),
      partial_(path_ + ".partial"),
      layout_(layout),
      flush_rows_(std::max<int64_t>(1, flush_rows)),
      resume_(resume),
      file_(std::make_unique<File>()) {
  silence_hdf5();
  std::error_code ec;
  if (resume && fs::exists(path_, ec) && !fs::exists(partial_, ec)) {
    // A finished file grows: copy it to the partial name (the original stays until finish() replaces it).
    fs::copy_file(path_, partial_, ec);
    if (ec) fail(partial_, "cannot copy " + path_ + " to resume it: " + ec.message());
  }
  if (resume && fs::exists(partial_, ec) && reopen()) return;
  // A fresh file. H5F_ACC_TRUNC replaces a partial left by an earlier run of ours.
  file_->file = check(H5Fcreate(partial_.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose, partial_,
                      "cannot create the file");
  write_scalar_attr(file_->file.get(), kRowsAttr, 0);
  write_scalar_attr(file_->file.get(), kLayoutAttr, static_cast<int64_t>(layout_));
}

bool Hdf5FeatureWriter::reopen() {
  File& f = *file_;
  Id file(H5Fopen(partial_.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose);
  int64_t rows = -1, code = -1;
  if (!file.valid() || !read_scalar_attr(file.get(), kRowsAttr, &rows) || rows < 0) {
    log_warn(partial_ + ": unreadable (left by a run killed mid-write); starting it afresh");
    return false;
  }
  if (!read_scalar_attr(file.get(), kLayoutAttr, &code)) fail(partial_, "not an HDF5 feature file of this tool");
  if (code != static_cast<int64_t>(layout_))
    fail(partial_, std::string("holds the ") + (code == 0 ? "fixed" : "adaptive") + " HDF5 layout; this run writes the " +
                       layout_text(layout_) + " one (resume with the same --format)");
  if (rows == 0) return false;  // nothing flushed yet: nothing to keep
  f.file = std::move(file);
  f.has_objects = H5Lexists(f.file.get(), "objects_id", H5P_DEFAULT) > 0;
  Id access = access_props();
  for (auto& spec : column_specs(layout_, 0, 0, f.has_objects, H5T_C_S1)) {
    Id ds = check(H5Dopen2(f.file.get(), spec.name.c_str(), access.get()), H5Dclose, partial_,
                  "dataset " + spec.name + " is missing");
    f.columns.emplace(spec.name, Column{spec.name, spec.mem_type, std::move(ds)});
  }
  const auto fdims = dims_of(f.col("image_features").dataset.get());
  const bool fixed = layout_ == Hdf5Layout::kFixed;
  if (fdims.size() != (fixed ? 3u : 2u)) fail(partial_, "image_features has the wrong number of dimensions");
  f.feature_dim = fdims.back();
  f.boxes_per_image = fixed ? fdims[1] : 0;
  hsize_t box_rows = static_cast<hsize_t>(rows);
  if (!fixed) {
    int32_t se[2] = {0, 0};
    read_rows(f.col("pos_boxes").dataset.get(), H5T_NATIVE_INT32, rows - 1, 1, se, partial_, "pos_boxes");
    if (se[1] < se[0] || se[0] < 0) fail(partial_, "pos_boxes is corrupt");
    box_rows = static_cast<hsize_t>(se[1]);
    f.total_boxes = se[1];
  }
  // Cut every column back to the flushed rows: what came after may be half written.
  for (auto& [name, c] : f.columns) {
    const bool per_image = name == "image_ids" || name == "image_w" || name == "image_h" || name == "pos_boxes";
    shrink(c.dataset.get(), per_image || fixed ? static_cast<hsize_t>(rows) : box_rows, partial_);
  }
  ids_ = read_ids(f.col("image_ids").dataset.get(), static_cast<hsize_t>(rows), partial_);
  return true;
}

Hdf5FeatureWriter::~Hdf5FeatureWriter() {
  if (!file_->file.valid()) return;  // finished, or never opened
  file_->columns.clear();
  file_->file.reset();
  std::error_code ec;
  if (!resume_) fs::remove(partial_, ec);  // a conversion that failed: its partial file is of no use
}

void Hdf5FeatureWriter::write(const FeatureRecord& r) {
  const std::string where = partial_ + ": image " + r.image_id;
  r.validate(partial_);
  if (!file_->file.valid()) fail(partial_, "write after finish");
  const hsize_t n = static_cast<hsize_t>(r.num_boxes), d = static_cast<hsize_t>(r.feature_dim());
  if (n == 0) fail(where, "has no boxes");
  File& f = *file_;
  if (!f.created()) {
    f.has_objects = r.has_objects();
    f.boxes_per_image = n;
    f.feature_dim = d;
    Id str = string_type();
    for (auto& spec : column_specs(layout_, n, d, f.has_objects, str.get())) {
      Id ds = create_column(f.file.get(), spec.name, spec.file_type, spec.inner, spec.chunk_rows, partial_);
      f.columns.emplace(spec.name, Column{spec.name, spec.mem_type, std::move(ds)});
    }
  }
  if (d != f.feature_dim)
    fail(where, "has feature dim " + std::to_string(d) + ", the file " + std::to_string(f.feature_dim));
  const bool fixed = layout_ == Hdf5Layout::kFixed;
  if (fixed && n != f.boxes_per_image)
    fail(where, "has " + std::to_string(n) + " boxes; the fixed HDF5 layout holds exactly " +
                    std::to_string(f.boxes_per_image) + " per image (extract with --min-boxes " +
                    std::to_string(f.boxes_per_image) + " --max-boxes " + std::to_string(f.boxes_per_image) +
                    ", or use --format hdf5-adaptive)");
  if (f.has_objects != r.has_objects())
    fail(where, f.has_objects ? "lacks the object/attribute fields the earlier images have"
                              : "has object/attribute fields the earlier images lack");
  if (r.image_w <= 0 || r.image_h <= 0 || r.image_w > INT32_MAX || r.image_h > INT32_MAX)
    fail(where, "image size out of range");
  if (!fixed && f.total_boxes + static_cast<int64_t>(n) > INT32_MAX)
    fail(where, "the adaptive layout's int32 pos_boxes cannot index more than 2^31 boxes; split the output");

  const hsize_t rows = fixed ? 1 : n;  // rows added to the per-box columns
  auto put = [&](const char* name, hsize_t count, const void* data) {
    const Column& c = f.col(name);
    append(c, c.mem_type, count, data, where);
  };
  put("image_features", rows, r.features.data());
  put("image_bb", rows, r.boxes.data());
  put("spatial_features", rows, spatial_features(r).data());
  if (f.has_objects) {
    put("objects_id", rows, r.objects_id.data());
    put("objects_conf", rows, r.objects_conf.data());
    put("attrs_id", rows, r.attrs_id.data());
    put("attrs_conf", rows, r.attrs_conf.data());
  }
  if (!fixed) {
    const int32_t se[2] = {static_cast<int32_t>(f.total_boxes), static_cast<int32_t>(f.total_boxes + n)};
    put("pos_boxes", 1, se);
    f.total_boxes += static_cast<int64_t>(n);
  }
  const int32_t w = static_cast<int32_t>(r.image_w), h = static_cast<int32_t>(r.image_h);
  put("image_w", 1, &w);
  put("image_h", 1, &h);
  Id str = string_type();
  const char* id = r.image_id.c_str();
  append(f.col("image_ids"), str.get(), 1, &id, where);
  ids_.push_back(r.image_id);

  // Record the rows written now and then; a resumed run starts after the last recorded count.
  const auto now = std::chrono::steady_clock::now();
  if (++f.unflushed >= flush_rows_ || now - f.last_flush >= kFlushEvery) {
    write_scalar_attr(f.file.get(), kRowsAttr, static_cast<int64_t>(ids_.size()));
    errno = 0;
    if (H5Fflush(f.file.get(), H5F_SCOPE_GLOBAL) < 0) fail_hdf5_write(partial_, "flushing");
    f.unflushed = 0;
    f.last_flush = now;
  }
}

void Hdf5FeatureWriter::finish() {
  if (!file_->file.valid()) fail(partial_, "finish called twice");
  write_scalar_attr(file_->file.get(), kRowsAttr, static_cast<int64_t>(ids_.size()));
  errno = 0;
  file_->columns.clear();
  const bool flushed = H5Fflush(file_->file.get(), H5F_SCOPE_GLOBAL) >= 0;
  if (file_->file.release() < 0 || !flushed) fail_hdf5_write(partial_, "closing");
  // The map first: a finished .hdf5 always has its .pkl beside it.
  write_file_atomic(imgid2idx_path(path_), pickle_id_to_index(ids_));
  std::error_code ec;
  fs::rename(partial_, path_, ec);
  if (ec) fail(partial_, "cannot rename to " + path_ + ": " + ec.message());
}

// ---- reader ----

struct Hdf5FeatureReader::File {
  Id file;
  std::map<std::string, Id> datasets;
  std::vector<std::string> ids;
  std::vector<int32_t> pos;  // kAdaptive: 2 per image
  std::vector<int32_t> image_w, image_h;
  hsize_t k = 0, d = 0;
  bool objects = false;
  hid_t ds(const std::string& name) const { return datasets.at(name).get(); }
};

Hdf5FeatureReader::Hdf5FeatureReader(const std::string& path) : path_(path), file_(std::make_unique<File>()) {
  silence_hdf5();
  File& f = *file_;
  f.file = check(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, path, "not a readable HDF5 file");
  for (const char* name : {"image_features", "image_bb", "image_ids", "image_w", "image_h"})
    if (H5Lexists(f.file.get(), name, H5P_DEFAULT) <= 0)
      fail(path, std::string("has no dataset '") + name +
                     "': only HDF5 feature files written by generate_tsv/read_tsv can be read back");
  layout_ = H5Lexists(f.file.get(), "pos_boxes", H5P_DEFAULT) > 0 ? Hdf5Layout::kAdaptive : Hdf5Layout::kFixed;
  f.objects = H5Lexists(f.file.get(), "objects_id", H5P_DEFAULT) > 0;
  std::vector<std::string> names = {"image_features", "image_bb", "image_ids", "image_w", "image_h"};
  if (layout_ == Hdf5Layout::kAdaptive) names.push_back("pos_boxes");
  if (f.objects) names.insert(names.end(), {"objects_id", "objects_conf", "attrs_id", "attrs_conf"});
  for (const auto& n : names)
    f.datasets.emplace(n, check(H5Dopen2(f.file.get(), n.c_str(), H5P_DEFAULT), H5Dclose, path, "cannot open " + n));

  const auto ids_dims = dims_of(f.ds("image_ids"));
  int64_t rows = ids_dims.empty() ? 0 : static_cast<int64_t>(ids_dims[0]);
  int64_t flushed = 0;
  if (read_scalar_attr(f.file.get(), kRowsAttr, &flushed) && flushed >= 0) rows = std::min(rows, flushed);
  const auto fdims = dims_of(f.ds("image_features"));
  const bool fixed = layout_ == Hdf5Layout::kFixed;
  if (fdims.size() != (fixed ? 3u : 2u)) fail(path, "image_features has the wrong number of dimensions");
  f.d = fdims.back();
  f.k = fixed ? fdims[1] : 0;
  if (f.d == 0 || f.d > kMaxFeatureDim || f.k > kMaxBoxesPerImage)
    fail(path, "image_features declares an implausible shape");
  if (fixed && fdims[0] < static_cast<hsize_t>(rows)) fail(path, "image_features has fewer rows than image_ids");
  f.ids = read_ids(f.ds("image_ids"), rows, path);
  f.image_w.resize(rows), f.image_h.resize(rows);
  read_rows(f.ds("image_w"), H5T_NATIVE_INT32, 0, rows, f.image_w.data(), path, "image_w");
  read_rows(f.ds("image_h"), H5T_NATIVE_INT32, 0, rows, f.image_h.data(), path, "image_h");
  if (!fixed) {
    f.pos.resize(2 * rows);
    read_rows(f.ds("pos_boxes"), H5T_NATIVE_INT32, 0, rows, f.pos.data(), path, "pos_boxes");
    for (int64_t i = 0; i < rows; ++i) {
      const int32_t s = f.pos[2 * i], e = f.pos[2 * i + 1];
      if (s < 0 || e < s || static_cast<hsize_t>(e) > fdims[0] || static_cast<hsize_t>(e - s) > kMaxBoxesPerImage)
        fail(path, "pos_boxes row " + std::to_string(i) + " is out of range");
    }
  }
  rows_ = rows;
}

Hdf5FeatureReader::~Hdf5FeatureReader() = default;

FeatureRecord Hdf5FeatureReader::read(int64_t row) const {
  const File& f = *file_;
  const std::string where = path_ + ": row " + std::to_string(row);
  if (row < 0 || row >= rows_) fail(where, "out of range");
  const bool fixed = layout_ == Hdf5Layout::kFixed;
  const hsize_t n = fixed ? f.k : static_cast<hsize_t>(f.pos[2 * row + 1] - f.pos[2 * row]);
  if (n * f.d > kMaxRecordFloats) fail(where, "declares more features than one image can have");
  // Fixed: one row of the [N,K,...] datasets. Adaptive: rows [start, end) of the [T,...] ones.
  const hsize_t first = fixed ? static_cast<hsize_t>(row) : static_cast<hsize_t>(f.pos[2 * row]);
  const hsize_t count = fixed ? 1 : n;
  FeatureRecord r;
  r.image_id = f.ids[row];
  r.image_w = f.image_w[row];
  r.image_h = f.image_h[row];
  r.num_boxes = static_cast<int64_t>(n);
  r.features.resize(n * f.d);
  r.boxes.resize(n * 4);
  read_rows(f.ds("image_features"), H5T_NATIVE_FLOAT, first, count, r.features.data(), where, "image_features");
  read_rows(f.ds("image_bb"), H5T_NATIVE_FLOAT, first, count, r.boxes.data(), where, "image_bb");
  if (f.objects) {
    r.objects_id.resize(n), r.objects_conf.resize(n), r.attrs_id.resize(n), r.attrs_conf.resize(n);
    read_rows(f.ds("objects_id"), H5T_NATIVE_INT64, first, count, r.objects_id.data(), where, "objects_id");
    read_rows(f.ds("objects_conf"), H5T_NATIVE_FLOAT, first, count, r.objects_conf.data(), where, "objects_conf");
    read_rows(f.ds("attrs_id"), H5T_NATIVE_INT64, first, count, r.attrs_id.data(), where, "attrs_id");
    read_rows(f.ds("attrs_conf"), H5T_NATIVE_FLOAT, first, count, r.attrs_conf.data(), where, "attrs_conf");
  }
  return r;
}

#endif  // BUA_HAVE_HDF5

}  // namespace bua
