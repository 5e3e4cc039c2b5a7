#include "bua/train/solver.h"

#include <torch/torch.h>

#include <cmath>

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

std::vector<LearnableParam> learnable_parameters(Detector& detector) {
  std::vector<LearnableParam> out;
  for (auto& p : detector->named_parameters()) {
    if (frozen(p.key())) {
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
