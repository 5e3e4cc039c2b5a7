#include "bua/data/vg_ground_truth.h"

#include "bua/util/error.h"

namespace bua {

VgGroundTruth vg_ground_truth(const VgDataset& dataset) {
  VgGroundTruth gt;
  gt.classes = dataset.vocab.classes.names();
  gt.attributes = dataset.vocab.attributes.names();
  for (const VgRecord& r : dataset.records) {
    if (r.flipped) fail(dataset.name, "evaluation ground truth from flipped records");
    VgGtImage image;
    image.image_id = r.image_id;
    image.width = r.width;
    image.height = r.height;
    for (size_t i = 0; i < r.boxes.size(); ++i) {
      const BoxF& b = r.boxes[i];
      image.boxes.push_back(
          {static_cast<int>(b[0]), static_cast<int>(b[1]), static_cast<int>(b[2]), static_cast<int>(b[3])});
      image.classes.push_back(r.classes[i]);
      std::vector<int> attributes;
      for (int32_t a : r.attributes[i])
        if (a != 0) attributes.push_back(a);
      image.attributes.push_back(std::move(attributes));
    }
    gt.images.push_back(std::move(image));
  }
  return gt;
}

}  // namespace bua
