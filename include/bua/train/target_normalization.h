// The regression targets the original trains on, and how its snapshots undo them (lib/fast_rcnn/
// train_multi_gpu.py's snapshot(), lib/rpn/proposal_layer.py). Training runs on normalised deltas
// ((d - mean) / std); a snapshot holds layers that predict raw deltas, which is what test time reads:
//  - bbox_pred: targets normalised when BBOX_NORMALIZE_TARGETS_PRECOMPUTED; the snapshot folds (means,
//    stds) in when BBOX_REG and BBOX_NORMALIZE_TARGETS (the original's two conditions differ, and so do ours).
//  - rpn_bbox_pred: with RPN_NORMALIZE_TARGETS, on all three sides — anchor targets, the TRAIN proposal
//    layer (which maps the predictions back before decoding) and the snapshot.
#pragma once
#include <torch/types.h>

#include <map>
#include <string>

#include "bua/config/config.h"
#include "bua/model/detector.h"

namespace bua {

// Whether snapshots hold bbox_pred with the targets' normalisation folded in.
bool snapshot_unnormalizes_bbox_pred(const TrainConfig& cfg);

// deltas [N,4A,H,W] as the RPN emits them (channel 4a+k: anchor a, coordinate k) mapped back from the
// normalised space: d * RPN_NORMALIZE_STDS[k] + RPN_NORMALIZE_MEANS[k]; unchanged without RPN_NORMALIZE_TARGETS.
torch::Tensor denormalized_rpn_deltas(const torch::Tensor& deltas, const TrainConfig& cfg);

// The detector's state as a snapshot holds it: bbox_pred (see snapshot_unnormalizes_bbox_pred) and
// rpn_bbox_pred (RPN_NORMALIZE_TARGETS) as w * std, b * std + mean, so that test time reads raw deltas.
std::map<std::string, torch::Tensor> unnormalized_state(const Detector& detector, const TrainConfig& cfg);
// Its inverse, applied when resuming from such a snapshot.
void normalize_bbox_pred(Detector& detector, const TrainConfig& cfg);

// The folded layers as training holds them (normalised space), for a snapshot's extra tensors: w * std / std is
// not w in float, and a resumed run that started from the rounded weights would drift from the uninterrupted one.
std::map<std::string, torch::Tensor> training_space_bbox_pred(Detector& detector, const TrainConfig& cfg);
// On resume: those exact tensors when the snapshot has them, else normalize_bbox_pred (older snapshots).
void restore_bbox_pred(Detector& detector, const std::map<std::string, torch::Tensor>& extra, const TrainConfig& cfg);

}  // namespace bua
