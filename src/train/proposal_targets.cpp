#include "bua/train/proposal_targets.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "bua/structures/boxes.h"
#include "bua/train/anchor_targets.h"
#include "bua/util/error.h"

namespace bua {
namespace {

torch::Tensor row4(const std::vector<double>& v, const char* key) {
  if (v.size() != 4) fail("proposal_targets", std::string("TRAIN.") + key + " must have 4 values");
  return torch::tensor(v, torch::kDouble).view({1, 4});
}

void check_inputs(const torch::Tensor& proposals, const torch::Tensor& gt_boxes, const torch::Tensor& gt_classes,
                  const torch::Tensor& gt_attributes, int64_t num_classes, const TrainConfig& cfg) {
  const auto where = "proposal_targets";
  if (proposals.dim() != 2 || proposals.size(1) != 4) fail(where, "proposals must be [R,4]");
  if (gt_boxes.dim() != 2 || gt_boxes.size(1) != 4) fail(where, "gt_boxes must be [G,4]");
  const int64_t g = gt_boxes.size(0);
  if (gt_classes.dim() != 1 || gt_classes.size(0) != g) fail(where, "gt_classes must be [G]");
  if (gt_attributes.dim() != 2 || gt_attributes.size(0) != g || gt_attributes.size(1) < 1)
    fail(where, "gt_attributes must be [G,16]");
  if (g > 0 && (gt_classes.min().item<int64_t>() < 0 || gt_classes.max().item<int64_t>() >= num_classes))
    fail(where, "gt class outside [0, " + std::to_string(num_classes) + ")");
  // The original's BATCH_SIZE = -1 ("all ROIs") dies in int(np.round(inf)); ask for a real size instead.
  if (cfg.BATCH_SIZE <= 0) fail(where, "TRAIN.BATCH_SIZE must be positive");
}

}  // namespace

RoiTargets proposal_targets(const torch::Tensor& proposals, const torch::Tensor& gt_boxes,
                            const torch::Tensor& gt_classes, const torch::Tensor& gt_attributes, int64_t num_classes,
                            const TrainConfig& cfg, Rng& rng) {
  check_inputs(proposals, gt_boxes, gt_classes, gt_attributes, num_classes, cfg);
  const auto gt = gt_boxes.to(torch::kCPU, torch::kFloat);
  const auto classes = gt_classes.to(torch::kCPU, torch::kLong);
  const auto attrs = gt_attributes.to(torch::kCPU, torch::kLong);
  const int64_t num_gt = gt.size(0);
  // The gt boxes are candidates too, so foreground exists even when the RPN proposes nothing useful.
  const auto candidates = torch::cat({proposals.to(torch::kCPU, torch::kFloat), gt});
  const int64_t n = candidates.size(0);

  auto assignment = torch::zeros({n}, torch::kLong);
  auto max_overlaps = torch::zeros({n}, torch::kDouble);
  if (num_gt > 0) {
    // In float64 (np.float) as the original; argmax takes the first maximum, as np.argmax.
    const auto overlaps = box_iou(candidates.to(torch::kDouble), gt.to(torch::kDouble));
    assignment = overlaps.argmax(1);
    max_overlaps = overlaps.gather(1, assignment.unsqueeze(1)).squeeze(1);
  }

  // Foreground: up to round(FG_FRACTION * BATCH_SIZE) (np.round: half to even) with IoU >= FG_THRESH.
  const auto fg_per_image = static_cast<int64_t>(std::nearbyint(cfg.FG_FRACTION * cfg.BATCH_SIZE));
  auto fg = num_gt > 0 ? torch::nonzero(max_overlaps >= cfg.FG_THRESH).view(-1) : torch::zeros({0}, torch::kLong);
  const int64_t num_fg = std::min(fg_per_image, fg.size(0));
  fg = sample_without_replacement(fg, num_fg, rng);
  // Background fills the rest of the batch from IoU in [BG_THRESH_LO, BG_THRESH_HI), never repeating a ROI.
  auto bg = torch::nonzero((max_overlaps < cfg.BG_THRESH_HI) & (max_overlaps >= cfg.BG_THRESH_LO)).view(-1);
  bg = sample_without_replacement(bg, std::min<int64_t>(cfg.BATCH_SIZE - num_fg, bg.size(0)), rng);
  const auto keep = torch::cat({fg, bg});
  const int64_t b = keep.size(0);

  RoiTargets out;
  out.num_fg = num_fg;
  out.rois = candidates.index_select(0, keep);
  out.matched_gt = assignment.index_select(0, keep);
  out.labels = num_gt > 0 ? classes.index_select(0, out.matched_gt) : torch::zeros({b}, torch::kLong);
  out.labels.narrow(0, num_fg, b - num_fg).zero_();

  // Regression targets in float32 like the original's blobs, normalized in float64 like its numpy arrays.
  auto deltas = torch::zeros({b, 4}, torch::kDouble);
  if (num_gt > 0) deltas = box_deltas(out.rois, gt.index_select(0, out.matched_gt)).to(torch::kDouble);
  if (cfg.BBOX_NORMALIZE_TARGETS_PRECOMPUTED)
    deltas = (deltas - row4(cfg.BBOX_NORMALIZE_MEANS, "BBOX_NORMALIZE_MEANS")) /
             row4(cfg.BBOX_NORMALIZE_STDS, "BBOX_NORMALIZE_STDS");
  // Only the matched class's 4 columns are filled (column set 1 for every class when AGNOSTIC).
  const auto rows = torch::nonzero(out.labels > 0).view(-1);
  const auto cls = cfg.AGNOSTIC ? torch::ones_like(rows) : out.labels.index_select(0, rows);
  auto targets = torch::zeros({b, num_classes, 4}, torch::kFloat);
  auto inside = torch::zeros({b, num_classes, 4}, torch::kFloat);
  targets.index_put_({rows, cls}, deltas.index_select(0, rows).to(torch::kFloat));
  inside.index_put_({rows, cls},
                    row4(cfg.BBOX_INSIDE_WEIGHTS, "BBOX_INSIDE_WEIGHTS").to(torch::kFloat).expand({rows.size(0), 4}));
  out.bbox_targets = targets.view({b, 4 * num_classes});
  out.inside_weights = inside.view({b, 4 * num_classes});
  out.outside_weights = (out.inside_weights > 0).to(torch::kFloat);

  // Attribute labels: slot 0 of a foreground row is always a label (0 = "no attribute"); its other empty
  // slots and every background row are -1, the loss's ignore label.
  out.attributes = torch::full({b, attrs.size(1)}, -1, torch::kLong);
  if (num_fg > 0) {
    auto fg_attrs = attrs.index_select(0, out.matched_gt.narrow(0, 0, num_fg));
    auto rest = fg_attrs.narrow(1, 1, fg_attrs.size(1) - 1);
    rest.masked_fill_(rest == 0, -1);
    out.attributes.narrow(0, 0, num_fg).copy_(fg_attrs);
  }

  const auto device = proposals.device();
  for (auto* t : {&out.rois, &out.labels, &out.bbox_targets, &out.inside_weights, &out.outside_weights, &out.attributes,
                  &out.matched_gt})
    *t = t->to(device);
  return out;
}

}  // namespace bua
