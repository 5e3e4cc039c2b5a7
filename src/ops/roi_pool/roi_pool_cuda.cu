// CUDA kernels of Caffe's ROI max pooling: one thread per output element, the same geometry as the CPU path.
#include <ATen/ATen.h>

#include <type_traits>
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>

#include "bua/ops/roi_pool.h"
#include "roi_pool_geometry.h"

namespace bua::detail {
namespace {

// Half and bfloat16 have no unambiguous device operator>: compare in float (double stays double).
template <typename T>
using compare_t = std::conditional_t<std::is_same_v<T, double>, double, float>;

template <typename T>
__global__ void forward_kernel(int64_t total, const T* x, const float* rois, float scale, int64_t C, int64_t H,
                               int64_t W, int64_t P, T* out, int* argmax /* null at inference */) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(blockDim.x) * gridDim.x) {
    const int64_t pw = i % P, ph = (i / P) % P, c = (i / (P * P)) % C, n = i / (P * P * C);
    const RoiGrid g = roi_grid(rois + 5 * n, scale, P);
    int64_t hs, he, ws, we;
    g.bin_range(static_cast<int>(ph), g.bin_h, g.start_h, H, hs, he);
    g.bin_range(static_cast<int>(pw), g.bin_w, g.start_w, W, ws, we);
    if (he <= hs || we <= ws) {
      out[i] = T(0);
      if (argmax) argmax[i] = -1;
      continue;
    }
    const T* plane = x + (g.batch * C + c) * H * W;
    compare_t<T> best = static_cast<compare_t<T>>(plane[hs * W + ws]);
    int best_idx = static_cast<int>(hs * W + ws);
    for (int64_t h = hs; h < he; ++h)
      for (int64_t w = ws; w < we; ++w) {
        const auto v = static_cast<compare_t<T>>(plane[h * W + w]);
        if (v > best) best = v, best_idx = static_cast<int>(h * W + w);
      }
    out[i] = plane[best_idx];
    if (argmax) argmax[i] = best_idx;
  }
}

template <typename T>
__global__ void backward_kernel(int64_t total, const T* grad, const int* argmax, const float* rois, int64_t C,
                                int64_t PP, int64_t HW, T* grad_in) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(blockDim.x) * gridDim.x) {
    if (argmax[i] < 0) continue;
    const int64_t c = (i / PP) % C, n = i / (PP * C);
    const auto b = static_cast<int64_t>(rois[5 * n]);
    atomicAdd(grad_in + (b * C + c) * HW + argmax[i], grad[i]);
  }
}

int blocks_for(int64_t total) { return static_cast<int>(std::min<int64_t>((total + 255) / 256, 65535)); }

// The output, and the argmax when `with_argmax` (training).
std::tuple<at::Tensor, at::Tensor> forward(const at::Tensor& features, const at::Tensor& rois, int64_t P,
                                           double spatial_scale, bool with_argmax) {
  c10::cuda::CUDAGuard guard(features.device());
  const auto x = features.contiguous();
  const auto r = rois.to(at::kFloat).contiguous();
  const int64_t R = r.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  auto out = at::empty({R, C, P, P}, x.options());
  at::Tensor argmax;
  if (with_argmax) argmax = at::empty({R, C, P, P}, x.options().dtype(at::kInt));
  const int64_t total = out.numel();
  if (total == 0) return {out, argmax};
  auto stream = at::cuda::getCurrentCUDAStream();
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "roi_pool_forward_cuda", [&] {
    forward_kernel<scalar_t><<<blocks_for(total), 256, 0, stream>>>(
        total, x.data_ptr<scalar_t>(), r.data_ptr<float>(), static_cast<float>(spatial_scale), C, H, W, P,
        out.data_ptr<scalar_t>(), with_argmax ? argmax.data_ptr<int>() : nullptr);
  });
  C10_CUDA_KERNEL_LAUNCH_CHECK();
  return {out, argmax};
}

}  // namespace

std::tuple<at::Tensor, at::Tensor> roi_pool_forward_cuda(const at::Tensor& features, const at::Tensor& rois,
                                                         int64_t P, double spatial_scale) {
  return forward(features, rois, P, spatial_scale, /*with_argmax=*/true);
}

at::Tensor roi_pool_inference_cuda(const at::Tensor& features, const at::Tensor& rois, int64_t P, double spatial_scale) {
  return std::get<0>(forward(features, rois, P, spatial_scale, /*with_argmax=*/false));
}

at::Tensor roi_pool_backward_cuda(const at::Tensor& grad, const at::Tensor& argmax, const at::Tensor& rois,
                                  at::IntArrayRef sizes) {
  c10::cuda::CUDAGuard guard(grad.device());
  const auto g = grad.contiguous();
  const auto r = rois.to(at::kFloat).contiguous();
  // Accumulate in float32: atomicAdd on bf16 is slow and lossy.
  auto grad_in = at::zeros(sizes, g.options().dtype(at::kFloat));
  const int64_t total = g.numel();
  if (total > 0) {
    const auto gf = g.to(at::kFloat);
    backward_kernel<float><<<blocks_for(total), 256, 0, at::cuda::getCurrentCUDAStream()>>>(
        total, gf.data_ptr<float>(), argmax.data_ptr<int>(), r.data_ptr<float>(), g.size(1), g.size(2) * g.size(3),
        sizes[2] * sizes[3], grad_in.data_ptr<float>());
    C10_CUDA_KERNEL_LAUNCH_CHECK();
  }
  return grad_in.to(g.scalar_type());
}

}  // namespace bua::detail
