#include "bua/ops/nms.h"

#include <torch/torch.h>

namespace bua {
namespace {

void check_inputs(const torch::Tensor& boxes, const torch::Tensor& scores, const char* op) {
  TORCH_CHECK(boxes.dim() == 2 && boxes.size(1) == 4, op, ": boxes must be [N,4], got ", boxes.sizes());
  TORCH_CHECK(scores.dim() >= 1 && scores.size(0) == boxes.size(0), op, ": scores must have N rows");
  TORCH_CHECK(boxes.device() == scores.device(), op, ": boxes and scores on different devices");
}

}  // namespace

namespace detail {
torch::Tensor descending_order(const torch::Tensor& scores) {
  // Stable ascending sort reversed = numpy's argsort()[::-1] with ties resolved deterministically.
  auto order = std::get<1>(scores.sort(/*stable=*/true, /*dim=*/-1, /*descending=*/false));
  return order.flip(-1);
}
}  // namespace detail

torch::Tensor nms(const torch::Tensor& boxes, const torch::Tensor& scores, double iou_threshold) {
  check_inputs(boxes, scores, "nms");
  TORCH_CHECK(scores.dim() == 1, "nms: scores must be [N]");
#ifdef BUA_WITH_CUDA
  if (boxes.is_cuda()) return detail::nms_cuda(boxes, scores, iou_threshold);
#endif
  TORCH_CHECK(boxes.is_cpu(), "nms: no kernel for device ", boxes.device());
  return detail::nms_cpu(boxes, scores, iou_threshold);
}

torch::Tensor nms_max_scores(const torch::Tensor& boxes, const torch::Tensor& scores, double iou_threshold) {
  check_inputs(boxes, scores, "nms_max_scores");
  TORCH_CHECK(scores.dim() == 2, "nms_max_scores: scores must be [N,C]");
#ifdef BUA_WITH_CUDA
  if (boxes.is_cuda()) return detail::nms_max_scores_cuda(boxes, scores, iou_threshold);
#endif
  TORCH_CHECK(boxes.is_cpu(), "nms_max_scores: no kernel for device ", boxes.device());
  return detail::nms_max_scores_cpu(boxes, scores, iou_threshold);
}

}  // namespace bua
