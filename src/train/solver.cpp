#include "bua/train/solver.h"

#include <torch/torch.h>

#include <cmath>
#include <yaml-cpp/yaml.h>

#include "bua/util/error.h"

namespace bua {
namespace {

bool frozen(const std::string& name) {
  // Module paths: trunk.conv1.*, trunk.res2a.*, trunk.res3b1.*, trunk.res4a.branch1.*
  return name.rfind("trunk.conv1.", 0) == 0 || name.rfind("trunk.res2", 0) == 0 || name.rfind("trunk.res3", 0) == 0 ||
         name.rfind("trunk.res4a.branch1.", 0) == 0;
}

bool is_bias(const std::string& name) { return name.size() >= 5 && name.compare(name.size() - 5, 5, ".bias") == 0; }

}  // namespace

SolverConfig load_solver_config(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    fail(path, std::string("cannot read solver file: ") + e.what());
  }
  if (!root.IsMap()) fail(path, "a solver file is a map of keys");
  SolverConfig c;
  for (const auto& kv : root) {
    const auto key = kv.first.as<std::string>();
    const auto where = path + ":" + std::to_string(kv.first.Mark().line + 1);
    try {
      if (key == "base_lr") c.base_lr = kv.second.as<double>();
      else if (key == "momentum") c.momentum = kv.second.as<double>();
      else if (key == "weight_decay") c.weight_decay = kv.second.as<double>();
      else if (key == "gamma") c.gamma = kv.second.as<double>();
      else if (key == "stepsize") c.stepsize = kv.second.as<int64_t>();
      else if (key == "display") c.display = kv.second.as<int64_t>();
      else if (key == "average_loss") c.average_loss = kv.second.as<int64_t>();
      else if (key == "lr_policy") {
        if (kv.second.as<std::string>() != "step") fail(where, "only lr_policy step is supported");
      } else if (key == "iter_size") {
        if (kv.second.as<int>() != 1) fail(where, "iter_size must be 1 (set TRAIN.IMS_PER_BATCH for more images per iteration)");
      } else fail(where, "unknown solver key " + key);
    } catch (const YAML::Exception&) {
      fail(where, "solver key " + key + " has a value of the wrong type");
    }
  }
  if (c.base_lr <= 0 || c.stepsize <= 0 || c.display <= 0 || c.average_loss <= 0) fail(path, "values must be positive");
  return c;
}

std::vector<LearnableParam> learnable_parameters(Detector& detector, bool freeze_bottom) {
  std::vector<LearnableParam> out;
  for (auto& p : detector->named_parameters()) {
    if (freeze_bottom && frozen(p.key())) {
      p.value().set_requires_grad(false);
      continue;
    }
    p.value().set_requires_grad(true);
    out.push_back({p.key(), p.value(), is_bias(p.key()) ? 2.0 : 1.0});
  }
  return out;
}

CaffeSgd::CaffeSgd(std::vector<LearnableParam> params, SolverConfig config)
    : params_(std::move(params)), config_(config) {
  for (const auto& p : params_) history_.push_back(torch::zeros_like(p.tensor));
}

double CaffeSgd::learning_rate(int64_t iteration) const {
  return config_.base_lr * std::pow(config_.gamma, static_cast<double>(iteration / config_.stepsize));
}

void CaffeSgd::step(int64_t iteration) {
  torch::NoGradGuard no_grad;
  const double lr = learning_rate(iteration);
  for (size_t i = 0; i < params_.size(); ++i) {
    auto& w = params_[i].tensor;
    if (!w.grad().defined()) continue;
    auto g = w.grad().add(w, config_.weight_decay);
    history_[i].mul_(config_.momentum).add_(g, lr * params_[i].lr_mult);
    w.sub_(history_[i]);
  }
}

void CaffeSgd::zero_grad() {
  for (auto& p : params_)
    if (p.tensor.grad().defined()) p.tensor.mutable_grad().zero_();
}

std::map<std::string, torch::Tensor> CaffeSgd::state() const {
  std::map<std::string, torch::Tensor> s;
  for (size_t i = 0; i < params_.size(); ++i) s["momentum/" + params_[i].name] = history_[i];
  return s;
}

void CaffeSgd::load_state(const std::map<std::string, torch::Tensor>& state) {
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < params_.size(); ++i) {
    auto it = state.find("momentum/" + params_[i].name);
    if (it == state.end()) fail("solver state", "no momentum for " + params_[i].name);
    history_[i].copy_(it->second);
  }
}

}  // namespace bua
