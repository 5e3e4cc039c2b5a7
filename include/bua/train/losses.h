// The training losses of the original train.prototxt, written with differentiable torch ops so autograd
// gives Caffe's gradients. Each is per image, like the original's one image per GPU: for a batch, average
// the per-image losses (the original averages gradients over GPUs). Loss weights (1, 1, 1, 1 and 0.5 for
// attributes) are the caller's.
#pragma once
#include <torch/types.h>

namespace bua {

// Caffe's SmoothL1Loss: sum over all elements of outside_w * f(inside_w * (pred - targets)), divided by
// `normalizer` — Caffe divides by the blob's first dimension: 1 for the RPN blob, the number of ROIs for the
// head. f(x) = 0.5 * (sigma x)^2 if |x| < 1/sigma^2, else |x| - 0.5/sigma^2. All inputs the same shape.
torch::Tensor smooth_l1_loss(const torch::Tensor& pred, const torch::Tensor& targets, const torch::Tensor& inside_w,
                             const torch::Tensor& outside_w, double sigma, int64_t normalizer);

// RPN deltas [N,4A,H,W] as rows [N*H*W*A, 4] in grid_anchors' (y, x, a) order, matching AnchorTargets.
torch::Tensor rpn_delta_rows(const torch::Tensor& deltas);

// rpn_loss_cls: logits [N,2A,H,W] as the RPN emits them (channels 0..A-1 background, A..2A-1 foreground);
// labels [N*H*W*A] (or [N, H*W*A]) from anchor_targets, -1 ignored. Per image, the mean over its non-ignored
// anchors of -log softmax(bg a, fg a)[label] (Caffe's VALID normalization, at least 1); then the mean over
// the N images.
torch::Tensor rpn_class_loss(const torch::Tensor& logits, const torch::Tensor& labels);

// loss_cls: softmax cross-entropy of logits [B,C] against labels [B], the mean over the B ROIs.
torch::Tensor roi_class_loss(const torch::Tensor& logits, const torch::Tensor& labels);

// loss_attr, the repository's modified SoftmaxWithLoss: attr_score [M,Attr], attr_labels [M,L] (L = 16). Label
// slot 0 counts unless it is -1 (0 there is the "no attribute" class); slots 1.. count unless 0 or -1, so
// both proposal_targets' rows and raw gt attribute rows work. A row's loss is the mean of -log softmax over
// its counted labels (repeats count twice); the sum over rows is divided by the number of rows with at
// least one counted label (at least 1). Rows without labels get no gradient. Unlike Caffe, -log p is not
// capped at -log(FLT_MIN) = 87.3, which only matters for p < 1e-38; the gradient is Caffe's everywhere.
torch::Tensor attribute_loss(const torch::Tensor& attr_score, const torch::Tensor& attr_labels);

}  // namespace bua
