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

// Every kernel reads features[rois[i][0]]: an index outside [0, N) would read another allocation. Checked
// here for all of them, with one read of two numbers to the host (a NaN fails both comparisons).
void check_batch_indices(const torch::Tensor& rois, int64_t n) {
  if (rois.size(0) == 0) return;
  const auto [lo, hi] = torch::aminmax(rois.select(1, 0));
  const auto range = torch::stack({lo, hi}).to(torch::kCPU, torch::kDouble);
  const double first = range[0].item<double>(), last = range[1].item<double>();
  TORCH_CHECK(first >= 0 && last < static_cast<double>(n), "roi_pool: batch indices of the rois must be in [0, ", n,
              "), got ", first, " to ", last);
}

}  // namespace

torch::Tensor roi_pool(const torch::Tensor& features, const torch::Tensor& rois, int64_t pooled_size,
                       double spatial_scale) {
  TORCH_CHECK(features.dim() == 4, "roi_pool: features must be [N,C,H,W], got ", features.sizes());
  TORCH_CHECK(rois.dim() == 2 && rois.size(1) == 5, "roi_pool: rois must be [R,5], got ", rois.sizes());
  TORCH_CHECK(pooled_size > 0, "roi_pool: pooled size must be positive");
  TORCH_CHECK(rois.device() == features.device(), "roi_pool: rois on ", rois.device(), " but features on ",
              features.device());
  check_batch_indices(rois, features.size(0));
  if (!features.requires_grad()) {
    // Inference: no argmax to keep. (float64 keeps the plane kernel: the fast one computes in float32.)
    if (features.is_cpu() && features.scalar_type() != torch::kDouble)
      return detail::roi_pool_inference_cpu(features, rois, pooled_size, spatial_scale);
#ifdef BUA_WITH_CUDA
    if (features.is_cuda()) return detail::roi_pool_inference_cuda(features, rois, pooled_size, spatial_scale);
#endif
    return std::get<0>(forward_any(features, rois, pooled_size, spatial_scale));
  }
  return RoiPoolFunction::apply(features, rois, pooled_size, spatial_scale);
}

}  // namespace bua
