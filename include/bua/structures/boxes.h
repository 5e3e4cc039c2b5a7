// Box arithmetic with the original Fast R-CNN conventions (lib/fast_rcnn/bbox_transform.py):
// a box (x1, y1, x2, y2) covers pixels x1..x2 inclusive, so its width is x2 - x1 + 1 and its centre
// x1 + 0.5 * width. Every function keeps the dtype of its inputs; the original runs these in float32.
#pragma once
#include <torch/types.h>

namespace bua {

// Regression targets (dx, dy, dw, dh) that move `from` [N,4] onto `to` [N,4].
torch::Tensor box_deltas(const torch::Tensor& from, const torch::Tensor& to);

// Applies deltas [N, 4K] (K class-specific sets) to boxes [N,4]; returns [N, 4K].
torch::Tensor apply_box_deltas(const torch::Tensor& boxes, const torch::Tensor& deltas);

// Clips boxes [N, 4K] into [0, width-1] x [0, height-1].
torch::Tensor clip_boxes(const torch::Tensor& boxes, double height, double width);

// Indices of the boxes whose width and height are both >= min_size.
torch::Tensor boxes_at_least(const torch::Tensor& boxes, double min_size);

// IoU matrix [N, M] with +1 widths, computed in the boxes' dtype.
torch::Tensor box_iou(const torch::Tensor& a, const torch::Tensor& b);

}  // namespace bua
