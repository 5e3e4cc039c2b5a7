// One image's extracted features, as a row of a feature TSV or one .npz file holds them.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace bua {

struct FeatureRecord {
  std::string image_id;
  int64_t image_w = 0;
  int64_t image_h = 0;
  int64_t num_boxes = 0;
  std::vector<float> boxes;      // [num_boxes * 4], x1 y1 x2 y2 in original image pixels
  std::vector<float> features;   // [num_boxes * feature_dim], row-major
  // Detected class / attribute per box and their confidences (the LXMERT layout); all four empty when
  // the source did not record them (the original layout).
  std::vector<int64_t> objects_id;
  std::vector<float> objects_conf;
  std::vector<int64_t> attrs_id;
  std::vector<float> attrs_conf;

  int64_t feature_dim() const;  // features.size() / num_boxes; 0 without boxes
  bool has_objects() const;     // the four object/attribute fields are filled

  // Throws bua::Error "<where>: image <id>: ..." when a size disagrees with num_boxes (boxes N*4,
  // features a multiple of N, each object/attribute field N or all four empty) or the id is empty.
  void validate(const std::string& where) const;

  // Float arrays compare bitwise (as the bytes in a file would).
  bool operator==(const FeatureRecord& other) const;
  bool operator!=(const FeatureRecord& other) const { return !(*this == other); }
};

}  // namespace bua
