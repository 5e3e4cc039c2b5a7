#include "bua/train/anchor_targets.h"

#include <torch/torch.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "bua/structures/boxes.h"
#include "bua/util/error.h"
#include "bua/util/random.h"

namespace bua {
namespace {

// Marks all but `keep` randomly chosen anchors carrying `value` as ignored, as the original does when a
// class has more candidates than its share of the batch.
void disable_excess(torch::Tensor& labels, int64_t value, int64_t keep, Rng& rng) {
  const auto candidates = torch::nonzero(labels == value).view(-1);
  const int64_t excess = candidates.size(0) - std::max<int64_t>(keep, 0);
  if (excess > 0) labels.index_fill_(0, sample_without_replacement(candidates, excess, rng), -1);
}

torch::Tensor row4(const std::vector<double>& v, const char* key) {
  if (v.size() != 4) fail("anchor_targets", std::string("TRAIN.") + key + " must have 4 values");
  return torch::tensor(v, torch::kDouble).view({1, 4});
}

}  // namespace

torch::Tensor sample_without_replacement(const torch::Tensor& indices, int64_t k, Rng& rng) {
  auto v = indices.to(torch::kCPU, torch::kLong).contiguous();
  std::vector<int64_t> pool(v.data_ptr<int64_t>(), v.data_ptr<int64_t>() + v.numel());
  const auto n = static_cast<int64_t>(pool.size());
  if (k < 0 || k > n)
    fail("sample_without_replacement", "cannot draw " + std::to_string(k) + " of " + std::to_string(n));
  // Partial Fisher-Yates: the first k slots end up a uniform random ordered sample.
  for (int64_t i = 0; i < k; ++i) std::swap(pool[i], pool[i + uniform_below(rng, n - i)]);
  pool.resize(k);
  return torch::tensor(pool, torch::kLong);
}

AnchorTargets anchor_targets(const torch::Tensor& anchors, const torch::Tensor& gt_boxes, double im_h, double im_w,
                             const TrainConfig& cfg, Rng& rng) {
  if (anchors.dim() != 2 || anchors.size(1) != 4) fail("anchor_targets", "anchors must be [K*A,4]");
  if (gt_boxes.dim() != 2 || gt_boxes.size(1) != 4) fail("anchor_targets", "gt_boxes must be [G,4]");
  // The original works in float64 (numpy anchors, bbox_overlaps in np.float); so do we, on the CPU.
  const auto all = anchors.to(torch::kCPU, torch::kDouble);
  const auto gt = gt_boxes.to(torch::kCPU, torch::kDouble);
  const int64_t total = all.size(0), num_gt = gt.size(0);

  // allowed_border = 0: only anchors lying wholly inside the blob take part; the rest stay ignored.
  const auto inside = torch::nonzero((all.select(1, 0) >= 0) & (all.select(1, 1) >= 0) & (all.select(1, 2) < im_w) &
                                     (all.select(1, 3) < im_h))
                          .view(-1);
  const auto a = all.index_select(0, inside);
  const int64_t n = a.size(0);

  auto labels = torch::full({n}, -1, torch::kLong);
  auto max_overlaps = torch::zeros({n}, torch::kDouble);  // with no gt every anchor overlaps nothing
  auto targets = torch::zeros({n, 4}, torch::kDouble);
  torch::Tensor best_of_some_gt;
  if (num_gt > 0 && n > 0) {
    const auto overlaps = box_iou(a, gt);    // [n, G]
    const auto argmax = overlaps.argmax(1);  // first maximum, as np.argmax
    max_overlaps = overlaps.gather(1, argmax.unsqueeze(1)).squeeze(1);
    const auto gt_max = std::get<0>(overlaps.max(0));  // [G]
    // Every anchor that equals some gt's best overlap, ties included (np.where(overlaps == gt_max)). As in
    // the original, a gt that overlaps no kept anchor (best 0) makes all its zero-overlap anchors positive.
    best_of_some_gt = torch::nonzero((overlaps == gt_max.unsqueeze(0)).any(1)).view(-1);
    targets = box_deltas(a, gt.index_select(0, argmax));
    if (cfg.RPN_NORMALIZE_TARGETS)
      targets = (targets - row4(cfg.RPN_NORMALIZE_MEANS, "RPN_NORMALIZE_MEANS")) /
                row4(cfg.RPN_NORMALIZE_STDS, "RPN_NORMALIZE_STDS");
  }

  // Label order decides conflicts: without clobbering, positives overwrite negatives; with it, the reverse.
  const auto negative = max_overlaps < cfg.RPN_NEGATIVE_OVERLAP;
  if (!cfg.RPN_CLOBBER_POSITIVES) labels.masked_fill_(negative, 0);
  if (best_of_some_gt.defined()) {
    labels.index_fill_(0, best_of_some_gt, 1);
    labels.masked_fill_(max_overlaps >= cfg.RPN_POSITIVE_OVERLAP, 1);
  }
  if (cfg.RPN_CLOBBER_POSITIVES) labels.masked_fill_(negative, 0);

  // At most RPN_FG_FRACTION of the batch positive (truncated, as int() does); negatives fill the rest.
  disable_excess(labels, 1, static_cast<int64_t>(cfg.RPN_FG_FRACTION * cfg.RPN_BATCHSIZE), rng);
  const int64_t num_pos = (labels == 1).sum().item<int64_t>();
  disable_excess(labels, 0, cfg.RPN_BATCHSIZE - num_pos, rng);
  const int64_t num_neg = (labels == 0).sum().item<int64_t>();

  const auto pos = (labels == 1).to(torch::kDouble).unsqueeze(1);
  const auto neg = (labels == 0).to(torch::kDouble).unsqueeze(1);
  const auto inside_w = pos * row4(cfg.RPN_BBOX_INSIDE_WEIGHTS, "RPN_BBOX_INSIDE_WEIGHTS");
  double pos_w = 0, neg_w = 0;  // a weight whose class has no sampled anchors multiplies nothing
  if (cfg.RPN_POSITIVE_WEIGHT < 0) {
    // Uniform weighting: the box loss becomes a mean over the sampled anchors, positives and negatives.
    if (num_pos + num_neg > 0) pos_w = neg_w = 1.0 / static_cast<double>(num_pos + num_neg);
  } else {
    if (!(cfg.RPN_POSITIVE_WEIGHT > 0 && cfg.RPN_POSITIVE_WEIGHT < 1))
      fail("anchor_targets", "TRAIN.RPN_POSITIVE_WEIGHT must be negative or in (0, 1)");
    if (num_pos > 0) pos_w = cfg.RPN_POSITIVE_WEIGHT / static_cast<double>(num_pos);
    if (num_neg > 0) neg_w = (1.0 - cfg.RPN_POSITIVE_WEIGHT) / static_cast<double>(num_neg);
  }
  const auto outside_w = (pos * pos_w + neg * neg_w).expand({n, 4});

  // Back to every anchor: the ones outside the image are ignored and carry no targets or weights.
  AnchorTargets out;
  out.labels = torch::full({total}, -1, torch::kLong).index_copy_(0, inside, labels);
  const auto unmap = [&](const torch::Tensor& rows) {
    return torch::zeros({total, 4}, torch::kFloat).index_copy_(0, inside, rows.to(torch::kFloat));
  };
  out.bbox_targets = unmap(targets);
  out.inside_weights = unmap(inside_w);
  out.outside_weights = unmap(outside_w);
  const auto device = anchors.device();
  out.labels = out.labels.to(device);
  out.bbox_targets = out.bbox_targets.to(device);
  out.inside_weights = out.inside_weights.to(device);
  out.outside_weights = out.outside_weights.to(device);
  return out;
}

}  // namespace bua
