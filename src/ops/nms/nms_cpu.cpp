// CPU kernels of the original NMS rule. IoU is computed in float32 exactly as cpu_nms.pyx does
// (+1 widths, float32 intersection and union), then compared with the threshold in double.
#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "bua/ops/nms.h"

namespace bua::detail {
namespace {

// suppress[i*n + j] is true when boxes i and j overlap at IoU >= threshold (symmetric).
std::vector<uint8_t> overlap_mask(const float* b, int64_t n, double threshold) {
  std::vector<float> area(n);
  for (int64_t i = 0; i < n; ++i) area[i] = (b[4 * i + 2] - b[4 * i] + 1) * (b[4 * i + 3] - b[4 * i + 1] + 1);
  std::vector<uint8_t> mask(static_cast<size_t>(n * n), 0);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = i + 1; j < n; ++j) {
      const float xx1 = std::max(b[4 * i], b[4 * j]), yy1 = std::max(b[4 * i + 1], b[4 * j + 1]);
      const float xx2 = std::min(b[4 * i + 2], b[4 * j + 2]), yy2 = std::min(b[4 * i + 3], b[4 * j + 3]);
      const float w = std::max(0.0f, xx2 - xx1 + 1), h = std::max(0.0f, yy2 - yy1 + 1);
      const float inter = w * h;
      const float iou = inter / (area[i] + area[j] - inter);
      mask[i * n + j] = mask[j * n + i] = static_cast<double>(iou) >= threshold;
    }
  }
  return mask;
}

// Greedy pass over `order`; calls keep(i) for each survivor.
template <typename Keep>
void greedy(const std::vector<uint8_t>& mask, int64_t n, const int64_t* order, std::vector<uint8_t>& removed, Keep keep) {
  std::fill(removed.begin(), removed.end(), 0);
  for (int64_t k = 0; k < n; ++k) {
    const int64_t i = order[k];
    if (removed[i]) continue;
    keep(i);
    const uint8_t* row = mask.data() + i * n;
    for (int64_t j = 0; j < n; ++j) removed[j] |= row[j];
  }
}

}  // namespace

torch::Tensor nms_cpu(const torch::Tensor& boxes, const torch::Tensor& scores, double iou_threshold) {
  const auto b = boxes.to(torch::kFloat).contiguous();
  const int64_t n = b.size(0);
  const auto order = descending_order(scores).contiguous();
  const auto mask = overlap_mask(b.data_ptr<float>(), n, iou_threshold);
  std::vector<uint8_t> removed(n);
  std::vector<int64_t> kept;
  greedy(mask, n, order.data_ptr<int64_t>(), removed, [&](int64_t i) { kept.push_back(i); });
  return torch::tensor(kept, torch::kLong);
}

torch::Tensor nms_max_scores_cpu(const torch::Tensor& boxes, const torch::Tensor& scores, double iou_threshold) {
  const auto b = boxes.to(torch::kFloat).contiguous();
  const int64_t n = b.size(0), classes = scores.size(1);
  const auto s = scores.t().contiguous();  // [C, N]
  const auto orders = descending_order(s).contiguous();
  const auto mask = overlap_mask(b.data_ptr<float>(), n, iou_threshold);
  auto result = torch::zeros({n}, scores.options());
  AT_DISPATCH_FLOATING_TYPES(s.scalar_type(), "nms_max_scores_cpu", [&] {
    const scalar_t* sp = s.data_ptr<scalar_t>();
    scalar_t* out = result.data_ptr<scalar_t>();
    std::vector<uint8_t> removed(n);
    for (int64_t c = 0; c < classes; ++c) {
      const scalar_t* sc = sp + c * n;
      greedy(mask, n, orders.data_ptr<int64_t>() + c * n, removed, [&](int64_t i) { out[i] = std::max(out[i], sc[i]); });
    }
  });
  return result;
}

}  // namespace bua::detail
