// The training loop of the original tools/train_net.py (+ lib/fast_rcnn/train.py): TRAIN.IMS_PER_BATCH
// images per process per iteration (the original: 1), Caffe SGD, the loss components logged every `display`
// iterations as the mean of the last `average_loss`, snapshots every TRAIN.SNAPSHOT_ITERS and at the end
// (regression layers un-normalised as the original's snapshot() does: target_normalization.h), and exact
// resumption from a snapshot (weights, momentum, iteration, data order).
#pragma once
#include <torch/types.h>

#include <functional>
#include <string>

#include "bua/config/config.h"
#include "bua/model/checkpoint.h"
#include "bua/train/detector_loss.h"
#include "bua/train/solver.h"
#include "bua/train/target_normalization.h"
#include "bua/util/random.h"

namespace bua {

class GradientAverager;  // dist/: averages gradients over processes

struct TrainOptions {
  int64_t max_iterations = 0;
  std::string output_dir;        // snapshots go here
  std::string snapshot_prefix = "bua_faster_rcnn";
  SolverConfig solver;
  uint64_t seed = 3;             // RNG_SEED
  int rank = 0, world_size = 1;  // this process among the data-parallel ones
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
// iteration over all processes (0 .. world_size * TRAIN.IMS_PER_BATCH - 1); this process asks for its own.
// `rng` is that slot's stream (seeded with RNG_SEED, iteration and slot).
using TrainingFeed = std::function<TrainingBlob(int64_t iteration, int64_t slot, Rng& rng)>;

// Trains `model` (weights, arch, vocabularies; iteration > 0 resumes with its solver state) on
// TRAIN.IMS_PER_BATCH images per process per iteration. The config is checked first (check_train_config:
// a refused TRAIN value is a bua::Error naming the key). Returns the path of the final snapshot. `averager`
// may be null (one process).
std::string train_detector(Checkpoint model, const Config& cfg, const TrainingFeed& feed, const TrainOptions& options,
                           GradientAverager* averager, const torch::Device& device);

}  // namespace bua
