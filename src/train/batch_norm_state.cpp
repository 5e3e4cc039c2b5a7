#include "bua/train/batch_norm_state.h"

#include <torch/torch.h>

#include "bua/model/resnet.h"
#include "bua/util/error.h"

namespace bua {
namespace {

const std::string kTag = ".batch_norm.";
const std::string kExtraPrefix = "batch_norm/";

}  // namespace

void fold_batch_norm_state(TensorMap& state, TensorMap& extra) {
  torch::NoGradGuard no_grad;
  const std::string mean_suffix = kTag + "running_mean";
  TensorMap folded;
  for (const auto& [name, t] : state) {
    if (name.size() <= mean_suffix.size() || name.compare(name.size() - mean_suffix.size(), mean_suffix.size(), mean_suffix) != 0)
      continue;
    const std::string layer = name.substr(0, name.size() - mean_suffix.size());
    auto get = [&](const std::string& what) {
      auto it = state.find(layer + kTag + what);
      if (it == state.end()) fail("snapshot", "BatchNorm of " + layer + " has no " + what);
      return it->second.detach().to(torch::kFloat).cpu();
    };
    const auto [scale, bias] =
        batch_norm_affine(get("weight"), get("bias"), get("running_mean"), get("running_var"), kBatchNormEps);
    folded[layer + ".scale"] = scale;
    folded[layer + ".bias"] = bias;
  }
  for (auto it = state.begin(); it != state.end();) {
    if (it->first.find(kTag) != std::string::npos) {
      extra[kExtraPrefix + it->first] = it->second;
      it = state.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& [name, t] : folded) state[name] = t;
}

bool restore_batch_norm(Detector& detector, const TensorMap& extra, double momentum) {
  TensorMap saved;
  for (const auto& [name, t] : extra)
    if (name.rfind(kExtraPrefix, 0) == 0) saved[name.substr(kExtraPrefix.size())] = t;
  if (saved.empty()) return false;
  enable_batch_norm(*detector, momentum);
  TensorMap mine;
  for (const auto& p : detector->named_parameters())
    if (p.key().find(kTag) != std::string::npos) mine[p.key()] = p.value();
  for (const auto& b : detector->named_buffers())
    if (b.key().find(kTag) != std::string::npos) mine[b.key()] = b.value();
  if (mine.size() != saved.size())
    fail("snapshot", "holds " + std::to_string(saved.size()) + " BatchNorm tensors, the model has " +
                         std::to_string(mine.size()));
  torch::NoGradGuard no_grad;
  for (auto& [name, t] : mine) {
    auto it = saved.find(name);
    if (it == saved.end()) fail("snapshot", "no BatchNorm state for " + name);
    t.copy_(it->second);
  }
  return true;
}

}  // namespace bua
