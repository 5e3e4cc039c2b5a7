// The training loop of the original tools/train_net.py (+ lib/fast_rcnn/train.py): one image per process per
// iteration, Caffe SGD, the loss components logged every `display` iterations as the mean of the last
// `average_loss`, snapshots every TRAIN.SNAPSHOT_ITERS and at the end (bbox_pred un-normalised, as the
// original's snapshot()), and exact resumption from a snapshot (weights, momentum, iteration, data order).
#pragma once
#include <torch/types.h>

#include <functional>
#include <random>
#include <string>

#include "bua/config/config.h"
#include "bua/model/checkpoint.h"
#include "bua/train/detector_loss.h"
#include "bua/train/solver.h"

namespace bua {

class GradientAverager;  // dist/: averages gradients over processes

struct TrainOptions {
  int64_t max_iterations = 0;
  std::string output_dir;        // snapshots go here
  std::string snapshot_prefix = "bua_faster_rcnn";
  SolverConfig solver;
  uint64_t seed = 3;             // RNG_SEED
  int rank = 0, world_size = 1;  // this process among the data-parallel ones
  int images_per_process = 1;    // images per iteration on each process (gradients averaged; IMS_PER_BATCH)
  bool freeze_bottom = true;     // the original's frozen conv1/res2/res3/res4a_branch1 (false from scratch)
  // > 0: every ConvAffine (trunk and res5) trains as a BatchNorm on batch statistics — one image in the trunk,
  // its 64 ROIs in res5 — with running averages of this momentum, instead of the frozen affine: what training
  // from scratch needs (synth_vg: object mAP 0.12 → 0.64). Snapshots hold the folded affine. With several
  // processes each normalises its own images; snapshots hold the mean of the ranks' running averages. The BatchNorm weight
  // and bias train like any other blob (lr_mult 2 on the bias, weight decay on both, as Caffe would).
  // Needs freeze_bottom false.
  double batch_norm_momentum = 0;
  // kBFloat16: mixed precision (the forward pass under autocast; weights, gradients and solver in float32).
  torch::ScalarType compute_dtype = torch::kFloat;
};

// Produces the training blob for image `slot` of iteration `iteration`. Slots number the images of one
// iteration over all processes (0 .. world_size * images_per_process - 1); this process asks for its own.
using TrainingFeed = std::function<TrainingBlob(int64_t iteration, int64_t slot, std::mt19937& rng)>;

// Trains `model` (weights, arch, vocabularies; iteration > 0 resumes with its solver state). Returns the path
// of the final snapshot. `averager` may be null (one process).
std::string train_detector(Checkpoint model, const Config& cfg, const TrainingFeed& feed, const TrainOptions& options,
                           GradientAverager* averager, const torch::Device& device);

// The original's snapshot transform: with BBOX_NORMALIZE_TARGETS_PRECOMPUTED, bbox_pred is trained on
// targets normalised by (means, stds); the saved weights are w * std and b * std + mean so that test time
// reads raw deltas.
std::map<std::string, torch::Tensor> unnormalized_state(const Detector& detector, const TrainConfig& cfg);
// Its inverse, applied when resuming from such a snapshot.
void normalize_bbox_pred(Detector& detector, const TrainConfig& cfg);

}  // namespace bua
