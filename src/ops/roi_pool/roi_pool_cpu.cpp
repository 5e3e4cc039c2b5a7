#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "bua/ops/roi_pool.h"
#include "roi_pool_geometry.h"

namespace bua::detail {

std::tuple<torch::Tensor, torch::Tensor> roi_pool_forward_cpu(const torch::Tensor& features, const torch::Tensor& rois,
                                                              int64_t pooled_size, double spatial_scale) {
  const auto x = features.contiguous();
  const auto r = rois.to(torch::kFloat).contiguous();
  const int64_t R = r.size(0), C = x.size(1), H = x.size(2), W = x.size(3), P = pooled_size;
  auto out = torch::zeros({R, C, P, P}, x.options());
  auto argmax = torch::full({R, C, P, P}, -1, x.options().dtype(torch::kInt));
  const float* rp = r.data_ptr<float>();
  int* ap = argmax.data_ptr<int>();
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "roi_pool_forward_cpu", [&] {
    const scalar_t* xp = x.data_ptr<scalar_t>();
    scalar_t* op = out.data_ptr<scalar_t>();
    at::parallel_for(0, R, 1, [&](int64_t begin, int64_t end) {
      for (int64_t n = begin; n < end; ++n) {
        const RoiGrid g = roi_grid(rp + 5 * n, static_cast<float>(spatial_scale), P);
        for (int64_t c = 0; c < C; ++c) {
          const scalar_t* plane = xp + (g.batch * C + c) * H * W;
          const int64_t base = (n * C + c) * P * P;
          for (int64_t ph = 0; ph < P; ++ph) {
            const auto [hs, he] = g.bin_rows(ph, H);
            for (int64_t pw = 0; pw < P; ++pw) {
              const auto [ws, we] = g.bin_cols(pw, W);
              if (he <= hs || we <= ws) continue;  // empty bin: output 0, argmax -1
              scalar_t best = plane[hs * W + ws];
              int best_idx = static_cast<int>(hs * W + ws);
              for (int64_t h = hs; h < he; ++h)
                for (int64_t w = ws; w < we; ++w)
                  if (plane[h * W + w] > best) best = plane[h * W + w], best_idx = static_cast<int>(h * W + w);
              op[base + ph * P + pw] = best;
              ap[base + ph * P + pw] = best_idx;
            }
          }
        }
      }
    });
  });
  return {out, argmax};
}

torch::Tensor roi_pool_backward_cpu(const torch::Tensor& grad, const torch::Tensor& argmax, const torch::Tensor& rois,
                                    torch::IntArrayRef feature_sizes) {
  const auto g = grad.contiguous();
  const auto r = rois.to(torch::kFloat).contiguous();
  auto grad_in = torch::zeros(feature_sizes, g.options());
  const int64_t R = g.size(0), C = g.size(1), PP = g.size(2) * g.size(3);
  const int64_t HW = feature_sizes[2] * feature_sizes[3];
  const int* ap = argmax.data_ptr<int>();
  const float* rp = r.data_ptr<float>();
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, g.scalar_type(), "roi_pool_backward_cpu", [&] {
    const scalar_t* gp = g.data_ptr<scalar_t>();
    scalar_t* ip = grad_in.data_ptr<scalar_t>();
    // Sequential over ROIs: several ROIs may pick the same cell, and their gradients add up.
    for (int64_t n = 0; n < R; ++n) {
      const auto b = static_cast<int64_t>(rp[5 * n]);
      for (int64_t c = 0; c < C; ++c) {
        scalar_t* plane = ip + (b * C + c) * HW;
        const int64_t base = (n * C + c) * PP;
        for (int64_t k = 0; k < PP; ++k)
          if (ap[base + k] >= 0) plane[ap[base + k]] += gp[base + k];
      }
    }
  });
  return grad_in;
}

}  // namespace bua::detail
