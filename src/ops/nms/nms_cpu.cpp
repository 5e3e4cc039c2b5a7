// CPU kernels of the original NMS rule. IoU is computed in float32 exactly as cpu_nms.pyx does
// (+1 widths, float32 intersection and union), then compared with the threshold in double.
#include <torch/torch.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <numeric>
#include <vector>

#include "bua/ops/nms.h"

namespace bua::detail {
namespace {

// Row i of the mask has bit j set when boxes i and j overlap at IoU >= threshold (symmetric), 64 boxes a word.
struct OverlapMask {
  int64_t n = 0, words = 0;
  std::vector<uint64_t> bits;
  const uint64_t* row(int64_t i) const { return bits.data() + i * words; }
};

OverlapMask overlap_mask(const float* b, int64_t n, double threshold) {
  OverlapMask m;
  m.n = n;
  m.words = (n + 63) / 64;
  m.bits.assign(static_cast<size_t>(n * m.words), 0);
  std::vector<float> area(n);
  for (int64_t i = 0; i < n; ++i) area[i] = (b[4 * i + 2] - b[4 * i] + 1) * (b[4 * i + 3] - b[4 * i + 1] + 1);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = i + 1; j < n; ++j) {
      const float xx1 = std::max(b[4 * i], b[4 * j]), yy1 = std::max(b[4 * i + 1], b[4 * j + 1]);
      const float xx2 = std::min(b[4 * i + 2], b[4 * j + 2]), yy2 = std::min(b[4 * i + 3], b[4 * j + 3]);
      const float w = std::max(0.0f, xx2 - xx1 + 1), h = std::max(0.0f, yy2 - yy1 + 1);
      const float inter = w * h;
      const float iou = inter / (area[i] + area[j] - inter);
      if (static_cast<double>(iou) >= threshold) {
        m.bits[i * m.words + j / 64] |= uint64_t{1} << (j % 64);
        m.bits[j * m.words + i / 64] |= uint64_t{1} << (i % 64);
      }
    }
  }
  return m;
}

// Descending score order with ties by descending index (= descending_order), for one row of n scores.
// Float scores sort as packed 64-bit keys (order-preserving bits, then the index): several times faster
// than a general sort, which matters with 1600 classes per image.
void descending_order_row(const float* score, int64_t n, int64_t* order, std::vector<uint64_t>& keys) {
  keys.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    uint32_t bits;
    std::memcpy(&bits, score + i, sizeof bits);
    bits = (bits & 0x80000000u) ? ~bits : (bits | 0x80000000u);  // float order as unsigned order
    keys[i] = (uint64_t{bits} << 32) | static_cast<uint64_t>(i);
  }
  std::sort(keys.begin(), keys.end(), std::greater<uint64_t>());
  for (int64_t k = 0; k < n; ++k) order[k] = static_cast<int64_t>(keys[k] & 0xffffffffu);
}

template <typename T>
void descending_order_row(const T* score, int64_t n, int64_t* order, std::vector<uint64_t>&) {
  std::iota(order, order + n, int64_t{0});
  std::sort(order, order + n, [&](int64_t a, int64_t b) { return score[a] != score[b] ? score[a] > score[b] : a > b; });
}

// Greedy pass over `order`; calls keep(i) for each survivor.
template <typename Keep>
void greedy(const OverlapMask& mask, const int64_t* order, std::vector<uint64_t>& removed, Keep keep) {
  std::fill(removed.begin(), removed.end(), 0);
  for (int64_t k = 0; k < mask.n; ++k) {
    const int64_t i = order[k];
    if ((removed[i / 64] >> (i % 64)) & 1) continue;
    keep(i);
    const uint64_t* row = mask.row(i);
    for (int64_t w = 0; w < mask.words; ++w) removed[w] |= row[w];
  }
}

}  // namespace

torch::Tensor nms_cpu(const torch::Tensor& boxes, const torch::Tensor& scores, double iou_threshold) {
  const auto b = boxes.to(torch::kFloat).contiguous();
  const int64_t n = b.size(0);
  const auto order = descending_order(scores).contiguous();
  const auto mask = overlap_mask(b.data_ptr<float>(), n, iou_threshold);
  std::vector<uint64_t> removed(mask.words);
  std::vector<int64_t> kept;
  greedy(mask, order.data_ptr<int64_t>(), removed, [&](int64_t i) { kept.push_back(i); });
  return torch::tensor(kept, torch::kLong);
}

torch::Tensor nms_max_scores_cpu(const torch::Tensor& boxes, const torch::Tensor& scores, double iou_threshold) {
  const auto b = boxes.to(torch::kFloat).contiguous();
  const int64_t n = b.size(0), classes = scores.size(1);
  const auto s = scores.t().contiguous();  // [C, N]
  const auto mask = overlap_mask(b.data_ptr<float>(), n, iou_threshold);
  auto result = torch::zeros({n}, scores.options());
  AT_DISPATCH_FLOATING_TYPES(s.scalar_type(), "nms_max_scores_cpu", [&] {
    const scalar_t* sp = s.data_ptr<scalar_t>();
    scalar_t* out = result.data_ptr<scalar_t>();
    std::vector<uint64_t> removed(mask.words), keys;
    std::vector<int64_t> order(static_cast<size_t>(n));
    for (int64_t c = 0; c < classes; ++c) {
      const scalar_t* sc = sp + c * n;
      descending_order_row(sc, n, order.data(), keys);
      greedy(mask, order.data(), removed, [&](int64_t i) { out[i] = std::max(out[i], sc[i]); });
    }
  });
  return result;
}

}  // namespace bua::detail
