// CUDA NMS with the original rule. One IoU bitmask (64 boxes per word) is built on the GPU; plain NMS then
// scans it on the host like torchvision, while nms_max_scores scans it on the GPU, one warp per class.
#include <ATen/ATen.h>
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>

#include <vector>

#include "bua/ops/nms.h"

namespace bua::detail {
namespace {

constexpr int kWord = 64;

__device__ inline bool overlaps(const float* a, const float* b, double threshold) {
  const float xx1 = fmaxf(a[0], b[0]), yy1 = fmaxf(a[1], b[1]);
  const float xx2 = fminf(a[2], b[2]), yy2 = fminf(a[3], b[3]);
  const float w = fmaxf(0.0f, __fadd_rn(__fsub_rn(xx2, xx1), 1.0f));
  const float h = fmaxf(0.0f, __fadd_rn(__fsub_rn(yy2, yy1), 1.0f));
  const float inter = __fmul_rn(w, h);
  const float area_a = __fmul_rn(__fadd_rn(__fsub_rn(a[2], a[0]), 1.0f), __fadd_rn(__fsub_rn(a[3], a[1]), 1.0f));
  const float area_b = __fmul_rn(__fadd_rn(__fsub_rn(b[2], b[0]), 1.0f), __fadd_rn(__fsub_rn(b[3], b[1]), 1.0f));
  const float iou = __fdiv_rn(inter, __fsub_rn(__fadd_rn(area_a, area_b), inter));
  return static_cast<double>(iou) >= threshold;
}

// mask[i * words + w] bit k: box i overlaps box w*64+k (boxes in the given order; all pairs).
__global__ void mask_kernel(int n, const float* boxes, double threshold, unsigned long long* mask) {
  const int words = (n + kWord - 1) / kWord;
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  const int w = blockIdx.y;
  if (i >= n) return;
  unsigned long long bits = 0;
  for (int k = 0; k < kWord; ++k) {
    const int j = w * kWord + k;
    if (j < n && j != i && overlaps(boxes + 4 * i, boxes + 4 * j, threshold)) bits |= 1ULL << k;
  }
  mask[static_cast<int64_t>(i) * words + w] = bits;
}

at::Tensor overlap_mask(const at::Tensor& boxes, double threshold) {
  const int n = static_cast<int>(boxes.size(0));
  const int words = (n + kWord - 1) / kWord;
  auto mask = at::empty({n, words}, boxes.options().dtype(at::kLong));
  if (n == 0) return mask;
  const dim3 grid((n + 127) / 128, words);
  mask_kernel<<<grid, 128, 0, at::cuda::getCurrentCUDAStream()>>>(
      n, boxes.data_ptr<float>(), threshold, reinterpret_cast<unsigned long long*>(mask.data_ptr<int64_t>()));
  C10_CUDA_KERNEL_LAUNCH_CHECK();
  return mask;
}

// One warp per class: greedy scan of that class's order; kept boxes write their score into out[c, i].
__global__ void class_scan_kernel(int n, int classes, const int64_t* orders, const float* scores,
                                  const unsigned long long* mask, float* out) {
  extern __shared__ unsigned long long removed_all[];
  const int words = (n + kWord - 1) / kWord;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int c = blockIdx.x * (blockDim.x / 32) + warp;
  unsigned long long* removed = removed_all + warp * words;
  if (c >= classes) return;
  for (int w = lane; w < words; w += 32) removed[w] = 0;
  __syncwarp();
  const int64_t* order = orders + static_cast<int64_t>(c) * n;
  const float* sc = scores + static_cast<int64_t>(c) * n;
  for (int k = 0; k < n; ++k) {
    const int64_t i = order[k];
    const bool gone = (removed[i / kWord] >> (i % kWord)) & 1ULL;
    __syncwarp();
    if (gone) continue;
    if (lane == 0) out[static_cast<int64_t>(c) * n + i] = sc[i];
    for (int w = lane; w < words; w += 32) removed[w] |= mask[i * words + w];
    __syncwarp();
  }
}

}  // namespace

at::Tensor nms_cuda(const at::Tensor& boxes, const at::Tensor& scores, double iou_threshold) {
  c10::cuda::CUDAGuard guard(boxes.device());
  const auto order = descending_order(scores);
  const auto sorted = boxes.to(at::kFloat).index_select(0, order).contiguous();
  const int64_t n = sorted.size(0);
  const auto mask = overlap_mask(sorted, iou_threshold).cpu();
  const int64_t words = mask.size(1);
  const auto* m = reinterpret_cast<const unsigned long long*>(mask.data_ptr<int64_t>());
  std::vector<unsigned long long> removed(words, 0);
  std::vector<int64_t> kept;
  for (int64_t i = 0; i < n; ++i) {
    if ((removed[i / kWord] >> (i % kWord)) & 1ULL) continue;
    kept.push_back(i);
    for (int64_t w = 0; w < words; ++w) removed[w] |= m[i * words + w];
  }
  auto keep = at::tensor(kept, at::kLong).to(boxes.device());
  return order.index_select(0, keep);
}

at::Tensor nms_max_scores_cuda(const at::Tensor& boxes, const at::Tensor& scores, double iou_threshold) {
  c10::cuda::CUDAGuard guard(boxes.device());
  const int n = static_cast<int>(boxes.size(0)), classes = static_cast<int>(scores.size(1));
  const auto s = scores.to(at::kFloat).t().contiguous();  // [C, N]
  const auto orders = descending_order(s).contiguous();
  const auto mask = overlap_mask(boxes.to(at::kFloat).contiguous(), iou_threshold);
  auto out = at::zeros({classes, n}, s.options());
  if (n > 0 && classes > 0) {
    const int warps = 4, words = (n + kWord - 1) / kWord;
    const size_t shared = sizeof(unsigned long long) * warps * words;
    class_scan_kernel<<<(classes + warps - 1) / warps, warps * 32, shared, at::cuda::getCurrentCUDAStream()>>>(
        n, classes, orders.data_ptr<int64_t>(), s.data_ptr<float>(),
        reinterpret_cast<const unsigned long long*>(mask.data_ptr<int64_t>()), out.data_ptr<float>());
    C10_CUDA_KERNEL_LAUNCH_CHECK();
  }
  return std::get<0>(out.max(0)).to(scores.scalar_type());
}

}  // namespace bua::detail
