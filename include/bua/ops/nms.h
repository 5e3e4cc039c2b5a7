// Non-maximum suppression with the original rule (lib/nms/cpu_nms.pyx): boxes sorted by descending score,
// IoU with +1 widths in float32, a box is suppressed when its IoU with a kept box is >= the threshold.
// Equal scores keep the order `argsort()[::-1]` gives with a stable sort: the later index first.
#pragma once
#include <torch/types.h>

namespace bua {

// boxes [N,4], scores [N] → int64 indices of the kept boxes, by descending score.
torch::Tensor nms(const torch::Tensor& boxes, const torch::Tensor& scores, double iou_threshold);

// For every class column c of scores [N,C], runs NMS on (boxes, scores[:,c]) and returns, per box, the
// highest score among the classes for which the box survives (0 where it survives none): the `max_conf`
// of the original generate_tsv.py. One IoU mask serves all classes.
torch::Tensor nms_max_scores(const torch::Tensor& boxes, const torch::Tensor& scores, double iou_threshold);

namespace detail {
torch::Tensor nms_cpu(const torch::Tensor& boxes, const torch::Tensor& scores, double iou_threshold);
torch::Tensor nms_max_scores_cpu(const torch::Tensor& boxes, const torch::Tensor& scores, double iou_threshold);
#ifdef BUA_WITH_CUDA
torch::Tensor nms_cuda(const torch::Tensor& boxes, const torch::Tensor& scores, double iou_threshold);
torch::Tensor nms_max_scores_cuda(const torch::Tensor& boxes, const torch::Tensor& scores, double iou_threshold);
#endif
// Order used by every implementation: descending score, ties by descending index.
torch::Tensor descending_order(const torch::Tensor& scores);
}  // namespace detail

}  // namespace bua
