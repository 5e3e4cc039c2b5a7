#include "bua/io/feature_record.h"

#include <cstdint>
#include <cstring>

#include "bua/util/error.h"

namespace bua {

int64_t FeatureRecord::feature_dim() const {
  return num_boxes > 0 ? static_cast<int64_t>(features.size()) / num_boxes : 0;
}

bool FeatureRecord::has_objects() const {
  return !objects_id.empty() || !objects_conf.empty() || !attrs_id.empty() || !attrs_conf.empty();
}

void FeatureRecord::validate(const std::string& where) const {
  if (image_id.empty()) fail(where, "empty image id");
  std::string at = where + ": image " + image_id;
  auto n = [](size_t s) { return std::to_string(s); };
  if (num_boxes < 0) fail(at, "negative num_boxes " + std::to_string(num_boxes));
  if (image_w < 0 || image_h < 0)
    fail(at, "negative image size " + std::to_string(image_w) + "x" + std::to_string(image_h));
  auto count = static_cast<size_t>(num_boxes);
  // Compared by division: num_boxes comes from the file, and count * 4 wraps for a forged 2^62.
  if (boxes.size() % 4 != 0 || boxes.size() / 4 != count)
    fail(at, "num_boxes is " + n(count) + " but boxes holds " + n(boxes.size()) + " floats (need " +
                 (count <= SIZE_MAX / 4 ? n(count * 4) : "4 x " + n(count)) + ")");
  if (count == 0 ? !features.empty() : features.size() % count != 0)
    fail(at, "features holds " + n(features.size()) + " floats, not a multiple of num_boxes " + n(count));
  if (has_objects()) {
    const std::pair<const char*, size_t> fields[] = {{"objects_id", objects_id.size()},
                                                     {"objects_conf", objects_conf.size()},
                                                     {"attrs_id", attrs_id.size()},
                                                     {"attrs_conf", attrs_conf.size()}};
    for (const auto& [name, size] : fields)
      if (size != count)
        fail(at, std::string(name) + " holds " + n(size) + " values but num_boxes is " + n(count));
  }
}

namespace {
// Bitwise, so a record equals its copy even when it holds NaN, and -0 differs from 0 as in the file.
bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}
}  // namespace

bool FeatureRecord::operator==(const FeatureRecord& o) const {
  return image_id == o.image_id && image_w == o.image_w && image_h == o.image_h && num_boxes == o.num_boxes &&
         same_bits(boxes, o.boxes) && same_bits(features, o.features) && objects_id == o.objects_id &&
         same_bits(objects_conf, o.objects_conf) && attrs_id == o.attrs_id && same_bits(attrs_conf, o.attrs_conf);
}

}  // namespace bua
