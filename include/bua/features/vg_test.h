// The detections test_net scores (lib/fast_rcnn/test.py): objects — class-specific regressed boxes, NMS per
// class (TEST.NMS), at most max_per_image over all classes; attributes — the gt boxes forced as ROIs
// (test_gt), each attribute's probability a detection of its box, at most max_per_image over all attributes.
#pragma once
#include <string>
#include <vector>

#include "bua/eval/vg_eval_data.h"
#include "bua/features/extractor.h"
#include "bua/model/detector.h"

namespace bua {

struct VgTestOptions {
  ExtractOptions extract;        // preprocessing, proposals, TEST.NMS
  int64_t max_per_image = 400;
  bool attributes = false;       // the gt-boxes attribute mode
  int decode_threads = 2;
  int64_t batch_images = 4;
};

struct VgTestResult {
  DetectionTable table;              // rows: classes (objects) or attributes; columns: gt.images order
  std::vector<std::string> failures; // "image_id<TAB>path<TAB>reason" of images that could not be read
};

// image_paths[i] is the file of gt.images[i].
VgTestResult run_vg_test(Detector& detector, const VgGroundTruth& gt, const std::vector<std::string>& image_paths,
                         const VgTestOptions& options);

// One image's rows of the table, from its detections (exposed for tests).
void object_detections(const ImageDetections& d, double nms_thresh, int64_t max_per_image, DetectionTable& table,
                       size_t column);
void attribute_detections(const ImageDetections& d, const torch::Tensor& boxes, int64_t max_per_image,
                          DetectionTable& table, size_t column);

}  // namespace bua
