#include "bua/train/initial_model.h"

#include <torch/torch.h>

#include <set>

#include "bua/train/weight_init.h"
#include "bua/util/error.h"
#include "bua/util/log.h"

namespace bua {
namespace {

// "attr_head.fc_attr.weight" → "attr_head.fc_attr": the layer a tensor belongs to, for the log.
std::string layer_of(const std::string& tensor) { return tensor.substr(0, tensor.rfind('.')); }

}  // namespace

Checkpoint initial_training_model(const InitialModelOptions& o, const std::vector<std::string>& classes,
                                  const std::vector<std::string>& attributes) {
  if (o.weights.empty() && !o.from_scratch) fail("initial weights", "none given, and not training from scratch");
  if (o.weights.empty() && o.arch.empty()) fail("initial weights", "training from scratch needs an architecture file");
  Checkpoint c;
  if (!o.weights.empty()) c = load_checkpoint(o.weights);
  if (!o.arch.empty()) c.arch = load_arch(o.arch);
  c.arch.num_classes = static_cast<int>(classes.size());
  c.arch.num_attributes = static_cast<int>(attributes.size());
  c.classes = classes;
  c.attributes = attributes;
  // LibTorch's defaults (--scratch-init torch) draw from Torch's generator; everything else is drawn below.
  torch::manual_seed(o.seed);
  Detector d(c.arch);
  if (o.from_scratch && o.he_init) init_from_scratch(d, o.seed);
  else init_head_weights(d, o.seed);

  auto state = state_of(*d);
  int copied = 0;
  std::set<std::string> fresh_layers;
  torch::NoGradGuard no_grad;
  for (auto& [name, t] : state) {
    auto it = c.state.find(name);
    if (it != c.state.end() && it->second.sizes() == t.sizes()) {
      t.copy_(it->second);
      ++copied;
      continue;
    }
    if (!o.from_scratch && !is_new_layer_tensor(name))
      fail(o.weights, std::string(it == c.state.end() ? "has no " : "has another shape for ") + name +
                          " (give the ImageNet trunk of this architecture, or train --from-scratch)");
    fresh_layers.insert(layer_of(name));
  }
  std::string fresh;
  for (const auto& l : fresh_layers) fresh += (fresh.empty() ? "" : ", ") + l;
  if (fresh_layers.size() > 12) fresh = std::to_string(fresh_layers.size()) + " layers";
  log_info(std::to_string(copied) + " tensors from " + (o.weights.empty() ? "nowhere" : o.weights) +
           "; initialised: " + (fresh.empty() ? "none" : fresh));
  c.state = state;
  c.extra.clear();
  c.iteration = 0;
  return c;
}

}  // namespace bua
