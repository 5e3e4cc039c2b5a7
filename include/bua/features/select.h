// Which regions become features: the box selection of the original tools/generate_tsv.py.
// For every object class, NMS (TEST.NMS) over the ROIs scored by that class; a ROI's max_conf is its best
// score among the classes where it survives. ROIs with max_conf >= conf_thresh are kept (ascending index
// order); fewer than min_boxes → the top min_boxes by max_conf; more than max_boxes → the top max_boxes
// (both in descending max_conf order).
#pragma once
#include <torch/types.h>

namespace bua {

struct SelectionOptions {
  int64_t min_boxes = 10;
  int64_t max_boxes = 100;
  double conf_thresh = 0.2;
  double nms_thresh = 0.3;  // TEST.NMS
};

struct Selection {
  torch::Tensor keep;      // int64 indices into the ROIs
  torch::Tensor max_conf;  // [R] float32
};

// Refuses counts and a threshold the selection cannot honour, naming the flags that set them (--min-boxes,
// --max-boxes, --conf-thresh): tools call it before the network loads, select_boxes again on every use.
void check_selection_options(const SelectionOptions& options);

// boxes [R,4] in image pixels (rois / scale), cls_prob [R,C] with column 0 the background.
Selection select_boxes(const torch::Tensor& boxes, const torch::Tensor& cls_prob, const SelectionOptions& options);

}  // namespace bua
