#include "bua/train/target_normalization.h"

#include <torch/torch.h>

#include "bua/model/checkpoint.h"
#include "bua/util/error.h"

namespace bua {
namespace {

// (stds, means) per output row of a layer whose rows cycle (dx, dy, dw, dh): one set per class or anchor.
std::pair<torch::Tensor, torch::Tensor> row_stats(int64_t rows, const std::vector<double>& stds,
                                                  const std::vector<double>& means) {
  const auto s = torch::tensor(stds, torch::kDouble), m = torch::tensor(means, torch::kDouble);
  return {s.repeat({rows / 4}).to(torch::kFloat), m.repeat({rows / 4}).to(torch::kFloat)};
}

// w * std (per output row), b * std + mean: a layer predicting normalised deltas → one predicting raw ones.
void unnormalize(torch::Tensor& w, torch::Tensor& b, const std::vector<double>& stds, const std::vector<double>& means) {
  const auto [s, m] = row_stats(w.size(0), stds, means);
  auto shape = std::vector<int64_t>(static_cast<size_t>(w.dim()), 1);
  shape[0] = -1;
  w = w * s.view(shape);
  b = b * s + m;
}

void normalize(torch::Tensor& w, torch::Tensor& b, const std::vector<double>& stds, const std::vector<double>& means) {
  const auto [s, m] = row_stats(w.size(0), stds, means);
  auto shape = std::vector<int64_t>(static_cast<size_t>(w.dim()), 1);
  shape[0] = -1;
  w.div_(s.to(w.device()).view(shape));
  b.sub_(m.to(b.device())).div_(s.to(b.device()));
}

}  // namespace

bool snapshot_unnormalizes_bbox_pred(const TrainConfig& cfg) {
  if (!(cfg.BBOX_REG && cfg.BBOX_NORMALIZE_TARGETS)) return false;
  // The original asserts this for an RPN: there are no fixed statistics to compute beforehand.
  if (cfg.HAS_RPN && !cfg.BBOX_NORMALIZE_TARGETS_PRECOMPUTED)
    fail("TRAIN.BBOX_NORMALIZE_TARGETS_PRECOMPUTED",
         "must be True with TRAIN.HAS_RPN, TRAIN.BBOX_REG and TRAIN.BBOX_NORMALIZE_TARGETS (as the original asserts)");
  return true;
}

torch::Tensor denormalized_rpn_deltas(const torch::Tensor& deltas, const TrainConfig& cfg) {
  if (!cfg.RPN_NORMALIZE_TARGETS) return deltas;
  const auto [s, m] = row_stats(deltas.size(1), cfg.RPN_NORMALIZE_STDS, cfg.RPN_NORMALIZE_MEANS);
  const auto opts = deltas.options();
  return deltas * s.to(opts).view({1, -1, 1, 1}) + m.to(opts).view({1, -1, 1, 1});
}

std::map<std::string, torch::Tensor> unnormalized_state(const Detector& detector, const TrainConfig& cfg) {
  auto state = state_of(*detector);
  torch::NoGradGuard no_grad;
  auto fold = [&](const std::string& layer, const std::vector<double>& stds, const std::vector<double>& means) {
    auto w = state.at(layer + ".weight").detach().cpu(), b = state.at(layer + ".bias").detach().cpu();
    unnormalize(w, b, stds, means);
    state[layer + ".weight"] = w;
    state[layer + ".bias"] = b;
  };
  if (snapshot_unnormalizes_bbox_pred(cfg)) fold("box_head.bbox_pred", cfg.BBOX_NORMALIZE_STDS, cfg.BBOX_NORMALIZE_MEANS);
  if (cfg.RPN_NORMALIZE_TARGETS) fold("rpn.bbox_pred", cfg.RPN_NORMALIZE_STDS, cfg.RPN_NORMALIZE_MEANS);
  return state;
}

namespace {

const std::string kTrainingSpace = "normalized/";

}  // namespace

std::map<std::string, torch::Tensor> training_space_bbox_pred(Detector& detector, const TrainConfig& cfg) {
  std::map<std::string, torch::Tensor> out;
  auto keep = [&](const std::string& layer, const torch::Tensor& w, const torch::Tensor& b) {
    out[kTrainingSpace + layer + ".weight"] = w.detach().cpu().clone();
    out[kTrainingSpace + layer + ".bias"] = b.detach().cpu().clone();
  };
  if (snapshot_unnormalizes_bbox_pred(cfg))
    keep("box_head.bbox_pred", detector->box_head->bbox_pred->weight, detector->box_head->bbox_pred->bias);
  if (cfg.RPN_NORMALIZE_TARGETS) keep("rpn.bbox_pred", detector->rpn->bbox_pred->weight, detector->rpn->bbox_pred->bias);
  return out;
}

void restore_bbox_pred(Detector& detector, const std::map<std::string, torch::Tensor>& extra, const TrainConfig& cfg) {
  torch::NoGradGuard no_grad;
  auto restore = [&](const std::string& layer, torch::Tensor& w, torch::Tensor& b, const std::vector<double>& stds,
                     const std::vector<double>& means) {
    const auto wi = extra.find(kTrainingSpace + layer + ".weight"), bi = extra.find(kTrainingSpace + layer + ".bias");
    if (wi != extra.end() && bi != extra.end() && wi->second.sizes() == w.sizes() && bi->second.sizes() == b.sizes()) {
      w.copy_(wi->second);
      b.copy_(bi->second);
    } else {
      normalize(w, b, stds, means);
    }
  };
  if (snapshot_unnormalizes_bbox_pred(cfg))
    restore("box_head.bbox_pred", detector->box_head->bbox_pred->weight, detector->box_head->bbox_pred->bias,
            cfg.BBOX_NORMALIZE_STDS, cfg.BBOX_NORMALIZE_MEANS);
  if (cfg.RPN_NORMALIZE_TARGETS)
    restore("rpn.bbox_pred", detector->rpn->bbox_pred->weight, detector->rpn->bbox_pred->bias, cfg.RPN_NORMALIZE_STDS,
            cfg.RPN_NORMALIZE_MEANS);
}

void normalize_bbox_pred(Detector& detector, const TrainConfig& cfg) {
  torch::NoGradGuard no_grad;
  if (snapshot_unnormalizes_bbox_pred(cfg))
    normalize(detector->box_head->bbox_pred->weight, detector->box_head->bbox_pred->bias, cfg.BBOX_NORMALIZE_STDS,
              cfg.BBOX_NORMALIZE_MEANS);
  if (cfg.RPN_NORMALIZE_TARGETS)
    normalize(detector->rpn->bbox_pred->weight, detector->rpn->bbox_pred->bias, cfg.RPN_NORMALIZE_STDS,
              cfg.RPN_NORMALIZE_MEANS);
}

}  // namespace bua
