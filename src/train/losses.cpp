#include "bua/train/losses.h"

#include <torch/torch.h>

#include "bua/util/error.h"

namespace bua {
namespace {

// Labels as int64 on the scores' device, each -1 (ignored) or a class below num_classes. Checked where they
// are: the targets come from the CPU, and checking them there costs the GPU no synchronisation.
torch::Tensor checked_labels(const torch::Tensor& labels, int64_t num_classes, const torch::Tensor& scores,
                             const char* where) {
  if (labels.numel() > 0 && (labels.min().item<int64_t>() < -1 || labels.max().item<int64_t>() >= num_classes))
    fail(where, "labels must be -1 (ignored) or in [0, " + std::to_string(num_classes) + ")");
  return labels.to(scores.device(), torch::kLong);
}

// Losses are computed in float32 (or the float64 of gradient checks) even where the network runs in bf16
// (mixed precision): the softmax and the sums want the precision.
torch::Tensor at_least_float(const torch::Tensor& t) {
  const auto type = t.scalar_type();
  return type == torch::kBFloat16 || type == torch::kHalf ? t.to(torch::kFloat) : t;
}

}  // namespace

torch::Tensor smooth_l1_loss(const torch::Tensor& pred, const torch::Tensor& targets, const torch::Tensor& inside_w,
                             const torch::Tensor& outside_w, double sigma, int64_t normalizer) {
  if (targets.sizes() != pred.sizes() || inside_w.sizes() != pred.sizes() || outside_w.sizes() != pred.sizes())
    fail("smooth_l1_loss", "pred, targets and weights must have the same shape");
  if (normalizer <= 0 || sigma <= 0) fail("smooth_l1_loss", "sigma and normalizer must be positive");
  const double s2 = sigma * sigma;
  const auto x = inside_w * (at_least_float(pred) - targets);
  const auto ax = x.abs();
  // Quadratic near 0 so the gradient is continuous; linear beyond 1/sigma^2 so outliers pull with force 1.
  const auto f = torch::where(ax < 1.0 / s2, 0.5 * s2 * x * x, ax - 0.5 / s2);
  return (outside_w * f).sum() / static_cast<double>(normalizer);
}

torch::Tensor rpn_delta_rows(const torch::Tensor& deltas) {
  if (deltas.dim() != 4 || deltas.size(1) % 4 != 0) fail("rpn_delta_rows", "deltas must be [N,4A,H,W]");
  // Channel a*4+j at (y, x) becomes row (y, x, a), column j — the original's (1, H, W, 4A) target layout.
  return deltas.permute({0, 2, 3, 1}).reshape({-1, 4});
}

torch::Tensor rpn_class_loss(const torch::Tensor& logits, const torch::Tensor& labels) {
  if (logits.dim() != 4 || logits.size(1) % 2 != 0) fail("rpn_class_loss", "logits must be [N,2A,H,W]");
  const int64_t n = logits.size(0), a = logits.size(1) / 2, h = logits.size(2), w = logits.size(3);
  if (labels.numel() != n * h * w * a) fail("rpn_class_loss", "labels must hold N*H*W*A entries");
  // Caffe reshapes to (N, 2, A*H, W) and softmaxes over the 2: the pair (channel a, channel A + a).
  const auto pairs = at_least_float(logits).reshape({n, 2, a, h, w}).permute({0, 3, 4, 2, 1}).reshape({n, h * w * a, 2});
  const auto y = checked_labels(labels, 2, logits, "rpn_class_loss").reshape({n, h * w * a});
  const auto valid = y >= 0;
  const auto picked = torch::log_softmax(pairs, 2).gather(2, y.clamp_min(0).unsqueeze(2)).squeeze(2);
  const auto per_image = -torch::where(valid, picked, torch::zeros_like(picked)).sum(1) / valid.sum(1).clamp_min(1);
  return per_image.mean();
}

torch::Tensor roi_class_loss(const torch::Tensor& logits, const torch::Tensor& labels) {
  if (logits.dim() != 2 || labels.dim() != 1 || labels.size(0) != logits.size(0))
    fail("roi_class_loss", "logits must be [B,C] and labels [B]");
  if (labels.numel() > 0 && labels.min().item<int64_t>() < 0) fail("roi_class_loss", "loss_cls has no ignore label");
  const auto y = checked_labels(labels, logits.size(1), logits, "roi_class_loss");
  // Caffe's VALID normalization without an ignore label divides by every row, i.e. the mean.
  return -torch::log_softmax(at_least_float(logits), 1).gather(1, y.unsqueeze(1)).mean();
}

torch::Tensor attribute_loss(const torch::Tensor& attr_score, const torch::Tensor& attr_labels) {
  if (attr_score.dim() != 2 || attr_labels.dim() != 2 || attr_labels.size(0) != attr_score.size(0))
    fail("attribute_loss", "attr_score must be [M,Attr] and attr_labels [M,16]");
  const auto y = checked_labels(attr_labels, attr_score.size(1), attr_score, "attribute_loss");
  // Slot 0 always names a class (0 = "no attribute"); later slots use 0 as padding.
  const auto later_slot = torch::arange(y.size(1), y.options()).unsqueeze(0) > 0;
  const auto valid = (y >= 0) & ~(later_slot & (y == 0));
  const auto picked = torch::log_softmax(at_least_float(attr_score), 1).gather(1, y.clamp_min(0));
  const auto count = valid.sum(1);
  const auto row_loss = -torch::where(valid, picked, torch::zeros_like(picked)).sum(1) / count.clamp_min(1);
  return row_loss.sum() / (count > 0).sum().clamp_min(1);
}

}  // namespace bua
