// Device dispatch and autograd for roi_pool.
#include "bua/ops/roi_pool.h"

#include <torch/torch.h>

namespace bua {
namespace {

std::tuple<torch::Tensor, torch::Tensor> forward_any(const torch::Tensor& x, const torch::Tensor& rois, int64_t p,
                                                     double scale) {
#ifdef BUA_WITH_CUDA
  if (x.is_cuda()) return detail::roi_pool_forward_cuda(x, rois, p, scale);
#endif
  TORCH_CHECK(x.is_cpu(), "roi_pool: no kernel for device ", x.device());
  return detail::roi_pool_forward_cpu(x, rois, p, scale);
}

torch::Tensor backward_any(const torch::Tensor& g, const torch::Tensor& argmax, const torch::Tensor& rois,
                           torch::IntArrayRef sizes) {
#ifdef BUA_WITH_CUDA
  if (g.is_cuda()) return detail::roi_pool_backward_cuda(g, argmax, rois, sizes);
#endif
  return detail::roi_pool_backward_cpu(g, argmax, rois, sizes);
}

class RoiPoolFunction : public torch::autograd::Function<RoiPoolFunction> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& rois,
                               int64_t pooled, double scale) {
    auto [out, argmax] = forward_any(x, rois, pooled, scale);
    ctx->save_for_backward({argmax, rois});
    ctx->saved_data["sizes"] = x.sizes().vec();
    ctx->mark_non_differentiable({argmax});
    return out;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto sizes = ctx->saved_data["sizes"].toIntVector();
    auto grad_x = backward_any(grads[0], saved[0], saved[1], sizes);
    return {grad_x, torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor roi_pool(const torch::Tensor& features, const torch::Tensor& rois, int64_t pooled_size,
                       double spatial_scale) {
  TORCH_CHECK(features.dim() == 4, "roi_pool: features must be [N,C,H,W], got ", features.sizes());
  TORCH_CHECK(rois.dim() == 2 && rois.size(1) == 5, "roi_pool: rois must be [R,5], got ", rois.sizes());
  TORCH_CHECK(pooled_size > 0, "roi_pool: pooled size must be positive");
  if (!features.requires_grad()) {
    // Inference: no argmax to keep. (float64 keeps the plane kernel: the fast one computes in float32.)
    if (features.is_cpu() && features.scalar_type() != torch::kDouble) return detail::roi_pool_inference_cpu(features, rois, pooled_size, spatial_scale);
    return std::get<0>(forward_any(features, rois, pooled_size, spatial_scale));
  }
  return RoiPoolFunction::apply(features, rois, pooled_size, spatial_scale);
}

}  // namespace bua
