// Fast R-CNN head training targets, as the original lib/rpn/proposal_target_layer.py computes them for one
// image: a sample of ROIs (foreground first) with class labels, class-specific regression targets and the
// attribute labels of the foreground ROIs' ground-truth objects.
#pragma once
#include <torch/types.h>

#include "bua/config/config.h"
#include "bua/util/random.h"

namespace bua {

struct RoiTargets {
  torch::Tensor rois;             // [B,4] float32 sampled boxes: num_fg foreground rows, then background
  torch::Tensor labels;           // [B] int64 class of the matched gt; 0 for background rows
  torch::Tensor bbox_targets;     // [B,4*C] float32; foreground row r holds its deltas in columns 4*labels[r]..+3
  torch::Tensor inside_weights;   // [B,4*C] float32 BBOX_INSIDE_WEIGHTS where bbox_targets is filled, else 0
  torch::Tensor outside_weights;  // [B,4*C] float32 1 where inside_weights > 0, else 0
  torch::Tensor attributes;       // [B,16] int64 matched gt's attributes with -1 = ignore (see below)
  torch::Tensor matched_gt;       // [B] int64 index of the gt box each row overlaps most (0 when G == 0)
  int64_t num_fg = 0;             // foreground rows, at most round(FG_FRACTION * BATCH_SIZE)
};

// proposals [R,4] and gt_boxes [G,4] in input-blob pixels; gt_classes [G] int64 (1..C-1); gt_attributes [G,16]
// int64 with 0 = none. The gt boxes join the candidates, so every gt can be sampled as its own foreground.
// B = num_fg + num_bg <= BATCH_SIZE: both groups are drawn without replacement, so an image short of either
// gives fewer rows, as in the original. Attributes follow the original's attr_labels: foreground rows keep
// slot 0 (0 = "no attribute" is a class) and mark empty slots 1..15 with -1; background rows are all -1.
// With G == 0 (the original would fail) every proposal counts as overlap 0. Outputs are on proposals' device.
RoiTargets proposal_targets(const torch::Tensor& proposals, const torch::Tensor& gt_boxes,
                            const torch::Tensor& gt_classes, const torch::Tensor& gt_attributes, int64_t num_classes,
                            const TrainConfig& cfg, Rng& rng);

}  // namespace bua
