// What the Visual Genome evaluation reads: the ground truth of the evaluated images and the detections
// to score, in the JSON layout of tests/data/vg_eval (see tests/data/REFERENCE.md).
//
// gt.json:          {"classes": [...], "attributes": [...], "images": [{"image_id", "width", "height",
//                    "boxes": [[x1, y1, x2, y2], ...], "classes": [c, ...], "attributes": [[a, ...], ...]}]}
// detections.json:  {"objects": {class_name: {"<image_id>": [[x1, y1, x2, y2, score], ...]}},
//                    "attributes": {attribute_name: {...}}}   (either task may be absent)
#pragma once
#include <array>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

namespace bua {

struct VgGtImage {
  int64_t image_id = 0;
  int width = 0;
  int height = 0;
  std::vector<std::array<int, 4>> boxes;     // x1 y1 x2 y2, inclusive pixels (uint16 in the original)
  std::vector<int> classes;                  // class index of each box, 1..num_classes-1
  std::vector<std::vector<int>> attributes;  // attribute indices of each box (0 = none, ignored)
};

struct VgGroundTruth {
  std::vector<std::string> classes;     // [0] = "__background__"
  std::vector<std::string> attributes;  // [0] = "__no_attribute__"
  std::vector<VgGtImage> images;        // the evaluation order (the original's image_index)
};

// Checks what parsing checks, for a ground truth assembled in code: names present, no duplicate image
// id, per-box lists of equal length, class and attribute indices in range. Throws bua::Error naming
// `where`.
void validate_vg_ground_truth(const VgGroundTruth& gt, const std::string& where);

// One scored box in the image's 0-based pixel coordinates, as test_net produces it (the evaluation
// applies the original's +1 itself, see results_text.h).
struct EvalDetection {
  double x1 = 0, y1 = 0, x2 = 0, y2 = 0;
  double score = 0;
};

// table[c][i]: the detections of class (or attribute) c in image i, i being the image's position in
// VgGroundTruth::images, as the original's all_boxes[c][i]. Row 0 (background / no attribute) is unused;
// a row may be left empty for a class without detections.
using DetectionTable = std::vector<std::vector<std::vector<EvalDetection>>>;

// A table of `num_classes` rows of `num_images` empty lists.
DetectionTable make_detection_table(size_t num_classes, size_t num_images);

struct VgDetections {
  std::optional<DetectionTable> objects;     // rows = gt.classes
  std::optional<DetectionTable> attributes;  // rows = gt.attributes
};

// Parsing and loading. Every problem (malformed JSON, a missing or mistyped field, a box that is not 4
// integers, a class index out of range, an unknown class name or image id, ...) throws bua::Error whose
// message names `source` (the file) and the field.
VgGroundTruth parse_vg_ground_truth(const nlohmann::json& doc, const std::string& source);
VgGroundTruth load_vg_ground_truth(const std::string& path);
VgDetections parse_vg_detections(const nlohmann::json& doc, const VgGroundTruth& gt, const std::string& source);
VgDetections load_vg_detections(const std::string& path, const VgGroundTruth& gt);

// Writing, in the same layout (doubles written so that they read back bit for bit; images without
// detections and classes without any are left out). Files are written through a temp file.
nlohmann::json vg_ground_truth_to_json(const VgGroundTruth& gt);
nlohmann::json vg_detections_to_json(const VgDetections& dets, const VgGroundTruth& gt);
void save_vg_ground_truth(const std::string& path, const VgGroundTruth& gt);
void save_vg_detections(const std::string& path, const VgDetections& dets, const VgGroundTruth& gt);

}  // namespace bua
