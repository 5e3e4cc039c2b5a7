// Caffe's SGD solver as the original trains with it (models/vg/.../solver.prototxt): momentum 0.9, weight decay
// 0.0005 on every learnable blob (the prototxt sets no decay_mult), lr_mult 2 on biases, "step" policy
// (base_lr * gamma^floor(iter / stepsize)). The update is Caffe's, not torch.optim's:
//   v = momentum * v + lr * lr_mult * (grad + decay * w);  w -= v
// (the two differ whenever the learning rate changes).
#pragma once
#include <torch/types.h>

#include <map>
#include <string>
#include <vector>

#include "bua/model/detector.h"

namespace bua {

struct SolverConfig {
  double base_lr = 0.001;
  double momentum = 0.9;
  double weight_decay = 0.0005;
  double gamma = 0.1;
  int64_t stepsize = 350000;
  int64_t display = 100;       // log every this many iterations
  int64_t average_loss = 100;  // ... the mean of the last this many losses
};

// Reads a solver file (experiments/solvers/*.yml: the keys above, lr_policy must be "step", iter_size 1).
// Unknown keys and wrong types are a bua::Error naming the file and key.
SolverConfig load_solver_config(const std::string& path);

struct LearnableParam {
  std::string name;
  torch::Tensor tensor;
  double lr_mult = 1;
};

// The learnable parameters of the detector, with the original's frozen layers left out (and their
// requires_grad cleared): conv1, all of res2 and res3, res4a_branch1 — they hold ImageNet features. A model
// trained from scratch has none to keep: `freeze_bottom` false trains them too. Frozen BatchNorm/Scale are
// buffers either way.
std::vector<LearnableParam> learnable_parameters(Detector& detector, bool freeze_bottom = true);

class CaffeSgd {
 public:
  CaffeSgd(std::vector<LearnableParam> params, SolverConfig config);
  double learning_rate(int64_t iteration) const;
  // One update from the current gradients, at `iteration` (0-based).
  void step(int64_t iteration);
  void zero_grad();
  // Momentum history by parameter name, for snapshots ("momentum/<name>").
  std::map<std::string, torch::Tensor> state() const;
  void load_state(const std::map<std::string, torch::Tensor>& state);
  const std::vector<LearnableParam>& params() const { return params_; }

 private:
  std::vector<LearnableParam> params_;
  std::vector<torch::Tensor> history_;
  SolverConfig config_;
};

}  // namespace bua
