#include "bua/train/trainer.h"

#include <torch/torch.h>

#include <deque>
#include <filesystem>
#include <iomanip>
#include <sstream>

#include "bua/dist/gradient_averager.h"
#include "bua/model/resnet.h"
#include "bua/train/autocast.h"
#include "bua/train/batch_norm_state.h"
#include "bua/train/train_keys.h"
#include "bua/util/error.h"
#include "bua/util/log.h"
#include "bua/util/progress.h"

namespace fs = std::filesystem;

namespace bua {
namespace {

// One RNG per (iteration, image slot), so sampling does not depend on how images are spread over processes
// and a resumed run draws exactly what the uninterrupted one would have.
Rng slot_rng(uint64_t seed, int64_t iteration, int64_t slot) {
  return make_rng({seed, static_cast<uint64_t>(iteration), static_cast<uint64_t>(slot)});
}

// <prefix>[_<SNAPSHOT_INFIX>]_iter_<n>.pt, as the original names its snapshots.
std::string snapshot_path(const TrainOptions& o, const TrainConfig& cfg, int64_t iteration) {
  const std::string infix = cfg.SNAPSHOT_INFIX.empty() ? "" : "_" + cfg.SNAPSHOT_INFIX;
  return (fs::path(o.output_dir) / (o.snapshot_prefix + infix + "_iter_" + std::to_string(iteration) + ".pt")).string();
}

}  // namespace

std::string train_detector(Checkpoint model, const Config& cfg, const TrainingFeed& feed, const TrainOptions& o,
                           GradientAverager* averager, const torch::Device& device) {
  if (o.max_iterations <= 0) fail("train", "the number of iterations must be positive");
  check_train_config(cfg, &model.arch);
  const int images_per_process = cfg.TRAIN.IMS_PER_BATCH;
  fs::create_directories(o.output_dir);
  Detector detector(model.arch);
  load_state(*detector, model.state, "initial weights");
  // Snapshots hold regression layers that predict raw deltas (test-ready); training runs on normalised targets.
  if (model.iteration > 0) restore_bbox_pred(detector, model.extra, cfg.TRAIN);
  // A resumed run keeps the snapshot's choice: momentum saved for conv1 means the bottom layers trained.
  const bool freeze_bottom =
      model.iteration > 0 ? model.extra.count("momentum/trunk.conv1.conv.weight") == 0 : o.freeze_bottom;
  // Batch statistics replace the frozen affine of every layer, frozen layers included: only for a model
  // trained from scratch, which keeps nothing frozen.
  if (o.batch_norm_momentum > 0 && freeze_bottom)
    fail("train", "batch statistics (--batch-norm) are for training from scratch, with no frozen layers");
  const double bn_momentum = o.batch_norm_momentum > 0 ? o.batch_norm_momentum : 0.1;
  if (restore_batch_norm(detector, model.extra, bn_momentum)) {
    log_info("continuing the BatchNorm statistics of the snapshot");
  } else if (o.batch_norm_momentum > 0) {
    if (model.iteration > 0) fail("--batch-norm", "the snapshot to resume was trained without batch statistics");
    log_info("batch statistics in " + std::to_string(enable_batch_norm(*detector, bn_momentum)) + " layers");
  }
  detector->to(device);
  detector->train();
  CaffeSgd solver(learnable_parameters(detector, freeze_bottom), o.solver);
  if (model.iteration > 0) {
    std::map<std::string, torch::Tensor> momentum;
    for (const auto& [k, v] : model.extra)
      if (k.rfind("momentum/", 0) == 0) momentum[k] = v.to(device);
    solver.load_state(momentum);
    log_info("resuming at iteration " + std::to_string(model.iteration));
  }
  std::vector<torch::Tensor> param_tensors;
  for (const auto& p : solver.params()) param_tensors.push_back(p.tensor);

  const char* names[] = {"rpn_cls", "rpn_bbox", "cls", "bbox", "attr", "total"};
  std::deque<std::array<double, 6>> recent;
  const int64_t snapshot_every = cfg.TRAIN.SNAPSHOT_ITERS;
  Progress progress("train", o.max_iterations - model.iteration, "iterations");
  std::string last_snapshot;
  // Each rank's BatchNorms average the statistics of its own images; a snapshot holds their mean over ranks
  // (every rank takes it, so they continue alike).
  std::vector<torch::Tensor> running_stats;
  for (const auto& b : detector->named_buffers())
    if (b.key().find(".batch_norm.running_") != std::string::npos) running_stats.push_back(b.value());
  auto snapshot = [&](int64_t iteration) {
    if (averager) averager->average_values(running_stats);
    if (o.rank != 0) return;
    Checkpoint c = model;
    c.state = unnormalized_state(detector, cfg.TRAIN);
    c.extra = solver.state();
    for (auto& [k, v] : training_space_bbox_pred(detector, cfg.TRAIN)) c.extra[k] = v;
    fold_batch_norm_state(c.state, c.extra);
    c.iteration = iteration;
    c.config_yaml = to_yaml(cfg);
    last_snapshot = snapshot_path(o, cfg.TRAIN, iteration);
    save_checkpoint(c, last_snapshot);
    log_info("Wrote snapshot to: " + last_snapshot);
  };

  for (int64_t it = model.iteration; it < o.max_iterations; ++it) {
    solver.zero_grad();
    // Each image's loss is divided by the images per process: the gradient is the mean over the images.
    std::array<double, 6> sums{};
    for (int k = 0; k < images_per_process; ++k) {
      const int64_t slot = static_cast<int64_t>(o.rank) * images_per_process + k;
      Rng rng = slot_rng(o.seed, it, slot);
      const TrainingBlob blob = feed(it, slot, rng);
      LossTerms loss;
      {
        AutocastScope amp(device, o.compute_dtype);  // the forward pass only, as with torch.autocast
        loss = detector_losses(detector, blob, cfg.TRAIN, rng);
      }
      const auto total = loss.total();
      (total / images_per_process).backward();
      // One copy to the host for the six values (one GPU synchronisation, not six).
      const auto parts = torch::stack({loss.rpn_cls, loss.rpn_bbox, loss.cls, loss.bbox, loss.attr, total})
                             .detach().to(torch::kCPU, torch::kDouble);
      const double t = parts[5].item<double>();
      if (!std::isfinite(t)) fail("train", "loss is " + std::to_string(t) + " at iteration " + std::to_string(it));
      for (int j = 0; j < 6; ++j) sums[j] += parts[j].item<double>() / images_per_process;
    }
    std::vector<double> values(sums.begin(), sums.end());
    if (averager) {
      averager->average(param_tensors);
      values = averager->sum(values);
      for (auto& v : values) v /= averager->world_size();
    }
    solver.step(it);
    std::array<double, 6> row{};
    std::copy(values.begin(), values.end(), row.begin());
    recent.push_back(row);
    if (static_cast<int64_t>(recent.size()) > o.solver.average_loss) recent.pop_front();
    progress.add();
    if (o.rank == 0 && ((it + 1) % o.solver.display == 0 || it + 1 == o.max_iterations)) {
      std::ostringstream line;
      line << "Iteration " << it + 1 << ", lr = " << solver.learning_rate(it) << ", loss (mean of last " << recent.size()
           << "):";
      for (int k = 0; k < 6; ++k) {
        double s = 0;
        for (const auto& r : recent) s += r[k];
        line << " " << names[k] << " " << std::fixed << std::setprecision(4) << s / recent.size();
      }
      log_info(line.str());
    }
    if (snapshot_every > 0 && (it + 1) % snapshot_every == 0 && it + 1 < o.max_iterations) snapshot(it + 1);
  }
  snapshot(o.max_iterations);
  progress.finish();
  return last_snapshot.empty() ? snapshot_path(o, cfg.TRAIN, o.max_iterations) : last_snapshot;
}

}  // namespace bua
