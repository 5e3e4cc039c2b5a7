// FeatureRecord <-> one .npz per image.
#include <algorithm>
#include <filesystem>

#include "bua/io/feature_record.h"
#include "bua/util/error.h"

namespace bua {
namespace {

namespace fs = std::filesystem;

int64_t scalar(const NpzArchive& a, const std::string& key) {
  NpyArray v = a.get(key);
  if (v.size() != 1) fail(v.source, "expected a single value, shape has " + std::to_string(v.size()));
  return v.as_int64()[0];
}

}  // namespace

std::vector<float> transposed(const std::vector<float>& m, int64_t rows, int64_t cols) {
  std::vector<float> t(m.size());
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) t[j * rows + i] = m[i * cols + j];
  return t;
}

NpzArchive to_npz(const FeatureRecord& r, NpzLayout layout) {
  r.validate("npz");
  NpzArchive a;
  if (layout == NpzLayout::kFeaturesFirst)
    a.add("x", NpyArray::from(transposed(r.features, r.num_boxes, r.feature_dim()), {r.feature_dim(), r.num_boxes}));
  else
    a.add("x", NpyArray::from(r.features, {r.num_boxes, r.feature_dim()}));
  a.add("bbox", NpyArray::from(r.boxes, {r.num_boxes, 4}));
  a.add("num_bbox", NpyArray::from(std::vector<int64_t>{r.num_boxes}, {}));
  a.add("image_h", NpyArray::from(std::vector<int64_t>{r.image_h}, {}));
  a.add("image_w", NpyArray::from(std::vector<int64_t>{r.image_w}, {}));
  if (r.has_objects()) {
    a.add("objects_id", NpyArray::from(r.objects_id, {r.num_boxes}));
    a.add("objects_conf", NpyArray::from(r.objects_conf, {r.num_boxes}));
    a.add("attrs_id", NpyArray::from(r.attrs_id, {r.num_boxes}));
    a.add("attrs_conf", NpyArray::from(r.attrs_conf, {r.num_boxes}));
  }
  return a;
}

FeatureRecord from_npz(const NpzArchive& a, const std::string& image_id) {
  std::string where = a.source.empty() ? "npz archive" : a.source;
  FeatureRecord r;
  r.image_id = image_id;
  r.num_boxes = scalar(a, "num_bbox");
  r.image_h = scalar(a, "image_h");
  r.image_w = scalar(a, "image_w");
  NpyArray x = a.get("x"), bbox = a.get("bbox");
  // x is [N, D], or [D, N] in the features-first layout (MCAN/OpenVQA transpose it back on loading).
  const bool boxes_first = x.shape.size() == 2 && x.shape[0] == r.num_boxes;
  const bool features_first = x.shape.size() == 2 && !boxes_first && x.shape[1] == r.num_boxes;
  if (!boxes_first && !features_first)
    fail(x.source, "x must be [num_bbox=" + std::to_string(r.num_boxes) + ", D] or [D, num_bbox], has " +
                       std::to_string(x.shape.size()) + " dimensions" +
                       (x.shape.size() == 2 ? " (" + std::to_string(x.shape[0]) + ", " + std::to_string(x.shape[1]) + ")" : ""));
  if (bbox.shape != std::vector<int64_t>{r.num_boxes, 4})
    fail(bbox.source, "bbox must be [num_bbox=" + std::to_string(r.num_boxes) + ", 4]");
  r.features = boxes_first ? x.as_float() : transposed(x.as_float(), x.shape[0], x.shape[1]);
  r.boxes = bbox.as_float();
  const char* object_keys[] = {"objects_id", "objects_conf", "attrs_id", "attrs_conf"};
  int present = 0;
  for (const char* k : object_keys) present += a.contains(k);
  if (present != 0 && present != 4) fail(where, "has some of objects_id/objects_conf/attrs_id/attrs_conf but not all");
  if (present == 4) {
    r.objects_id = a.get("objects_id").as_int64();
    r.objects_conf = a.get("objects_conf").as_float();
    r.attrs_id = a.get("attrs_id").as_int64();
    r.attrs_conf = a.get("attrs_conf").as_float();
  }
  r.validate(where);
  return r;
}

void write_feature_npz(const std::string& path, const FeatureRecord& record, NpzLayout layout) {
  NpzArchive a = to_npz(record, layout);
  a.source = path;
  write_npz(path, a);
}

FeatureRecord read_feature_npz(const std::string& path) {
  return from_npz(read_npz(path), fs::path(path).stem().string());
}

std::string feature_npz_path(const std::string& dir, const std::string& image_id) {
  if (image_id.empty() || image_id == "." || image_id == ".." || image_id.find('/') != std::string::npos ||
      image_id.find('\0') != std::string::npos)
    fail(dir, "image id '" + image_id + "' cannot be used as a file name");
  return (fs::path(dir) / (image_id + ".npz")).string();
}

std::vector<std::string> list_feature_npz(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) fail(dir, "not a directory");
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".npz" && e.is_regular_file()) files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace bua
