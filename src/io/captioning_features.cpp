#include "bua/io/captioning_features.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "bua/io/npz.h"
#include "bua/util/error.h"

namespace fs = std::filesystem;

namespace bua {
namespace {

std::string file_in(const std::string& dir, const std::string& image_id, const char* ext) {
  // The same rule as the .npz folder: an id must be a plain file name.
  const std::string npz = feature_npz_path(dir, image_id);
  return npz.substr(0, npz.size() - 4) + ext;
}

std::set<std::string> stems(const std::string& dir, const std::string& ext) {
  std::set<std::string> out;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
    if (it->path().extension() == ext && it->is_regular_file()) out.insert(it->path().stem().string());
  return out;
}

}  // namespace

CaptioningDirs captioning_dirs(const std::string& prefix) {
  std::string p = prefix;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return {p + "_att", p + "_fc", p + "_box"};
}

bool is_captioning_prefix(const std::string& prefix) {
  std::error_code ec;
  return fs::is_directory(captioning_dirs(prefix).att, ec);
}

std::vector<float> mean_feature(const FeatureRecord& r) {
  const int64_t d = r.feature_dim();
  std::vector<float> sum(static_cast<size_t>(d), 0.f);
  // Row after row in float32, the order of numpy's reduction along axis 0 of a C-ordered array.
  for (int64_t i = 0; i < r.num_boxes; ++i)
    for (int64_t j = 0; j < d; ++j) sum[j] += r.features[i * d + j];
  const float n = static_cast<float>(r.num_boxes);
  for (float& v : sum) v /= n;
  return sum;
}

void create_captioning_dirs(const CaptioningDirs& dirs) {
  for (const auto& d : {dirs.att, dirs.fc, dirs.box}) {
    std::error_code ec;
    fs::create_directories(d, ec);
    if (!fs::is_directory(d)) fail(d, "cannot create the output folder: " + ec.message());
  }
}

void write_captioning_record(const CaptioningDirs& dirs, const FeatureRecord& r) {
  r.validate(dirs.att);
  if (r.num_boxes == 0) fail(dirs.att, "image " + r.image_id + " has no boxes");
  write_npy(file_in(dirs.box, r.image_id, ".npy"), NpyArray::from(r.boxes, {r.num_boxes, 4}));
  write_npy(file_in(dirs.fc, r.image_id, ".npy"), NpyArray::from(mean_feature(r), {r.feature_dim()}));
  NpzArchive att;
  att.add("feat", NpyArray::from(r.features, {r.num_boxes, r.feature_dim()}));
  att.add("image_h", NpyArray::from(std::vector<int64_t>{r.image_h}, {}));
  att.add("image_w", NpyArray::from(std::vector<int64_t>{r.image_w}, {}));
  write_npz(file_in(dirs.att, r.image_id, ".npz"), att);
}

FeatureRecord read_captioning_record(const CaptioningDirs& dirs, const std::string& image_id) {
  const std::string att_path = file_in(dirs.att, image_id, ".npz");
  const NpzArchive att = read_npz(att_path);
  const NpyArray feat = att.get("feat");
  const NpyArray box = read_npy(file_in(dirs.box, image_id, ".npy"));
  if (feat.shape.size() != 2) fail(att_path, "feat must be [N, D]");
  if (box.shape != std::vector<int64_t>{feat.shape[0], 4})
    fail(box.source, "must be [N, 4] with N = " + std::to_string(feat.shape[0]) + ", the rows of " + att_path);
  if (!att.contains("image_w") || !att.contains("image_h"))
    fail(att_path, "has no image_w/image_h (not written by this tool), so the image size is unknown");
  FeatureRecord r;
  r.image_id = image_id;
  r.num_boxes = feat.shape[0];
  r.features = feat.as_float();
  r.boxes = box.as_float();
  auto scalar = [&](const char* key) {
    const NpyArray v = att.get(key);
    if (v.size() != 1) fail(att_path, std::string(key) + " must be a single value");
    return v.as_int64()[0];
  };
  r.image_w = scalar("image_w");
  r.image_h = scalar("image_h");
  r.validate(att_path);
  return r;
}

std::vector<std::string> list_captioning_ids(const CaptioningDirs& dirs) {
  const auto att = stems(dirs.att, ".npz"), fc = stems(dirs.fc, ".npy"), box = stems(dirs.box, ".npy");
  std::vector<std::string> ids;
  for (const auto& id : att)
    if (fc.count(id) && box.count(id)) ids.push_back(id);
  return ids;  // std::set order: sorted
}

}  // namespace bua
