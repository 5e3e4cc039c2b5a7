// RPN training targets, as the original lib/rpn/anchor_target_layer.py computes them for one image:
// which anchors are positive / negative / ignored, and the regression targets and loss weights of each.
#pragma once
#include <torch/types.h>

#include "bua/config/config.h"
#include "bua/util/random.h"

namespace bua {

struct AnchorTargets {
  torch::Tensor labels;           // [K*A] int64: 1 foreground, 0 background, -1 ignored
  torch::Tensor bbox_targets;     // [K*A,4] float32 box_deltas(anchor, its best gt); 0 outside the image
  torch::Tensor inside_weights;   // [K*A,4] float32 RPN_BBOX_INSIDE_WEIGHTS on sampled positives, else 0
  torch::Tensor outside_weights;  // [K*A,4] float32 per-example weight on sampled anchors, else 0
};

// anchors [K*A,4] in grid_anchors' (y, x, a) order; gt_boxes [G,4] (x1,y1,x2,y2) in input-blob pixels, G may
// be 0 (then every kept anchor is a negative); im_h, im_w the blob size (im_info[0], im_info[1]).
// Sampling draws from rng, so a seeded rng gives the same targets. Outputs are on the anchors' device.
AnchorTargets anchor_targets(const torch::Tensor& anchors, const torch::Tensor& gt_boxes, double im_h, double im_w,
                             const TrainConfig& cfg, Rng& rng);

// k of the entries of indices [N] int64 (k <= N), drawn without replacement in random order, like
// numpy.random.choice(indices, k, replace=False). Draws through uniform_below (util/random.h), so a given
// seed picks the same entries with every standard library. Shared by the anchor and ROI samplers.
torch::Tensor sample_without_replacement(const torch::Tensor& indices, int64_t k, Rng& rng);

}  // namespace bua
