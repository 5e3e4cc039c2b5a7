// c10d process groups. Gloo's headers come from Debian's libgloo-dev (or torch's own include tree); where
// they are missing the Gloo backend is left out rather than the build failing. NCCL is compiled in where
// Torch's CMake defines USE_C10D_NCCL.
#if __has_include(<gloo/algorithm.h>)
#define BUA_HAVE_GLOO 1
#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO
#endif
#endif
#include "bua/dist/gradient_averager.h"

#ifdef BUA_HAVE_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/torch.h>
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <cstdlib>
#include <functional>

#include "bua/util/error.h"

namespace bua {
namespace {

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  try {
    size_t used = 0;
    const int x = std::stoi(v, &used);
    if (used != std::string(v).size()) throw std::invalid_argument(v);
    return x;
  } catch (const std::exception&) {
    fail(std::string("environment variable ") + name, std::string("not an integer: '") + v + "'");
  }
}

}  // namespace

DistEnv dist_env_from_environment() {
  DistEnv e;
  e.world_size = env_int("WORLD_SIZE", 1);
  e.rank = env_int("RANK", 0);
  e.local_rank = env_int("LOCAL_RANK", 0);
  e.master_port = env_int("MASTER_PORT", 29500);
  if (const char* a = std::getenv("MASTER_ADDR"); a && *a) e.master_addr = a;
  if (e.world_size < 1 || e.rank < 0 || e.rank >= e.world_size)
    fail("RANK/WORLD_SIZE", "need 0 <= RANK < WORLD_SIZE, got " + std::to_string(e.rank) + "/" + std::to_string(e.world_size));
  if (e.master_port <= 0 || e.master_port > 65535) fail("MASTER_PORT", "out of range");
  return e;
}

torch::Device device_of_rank(const torch::Device& requested, const DistEnv& env, int64_t visible_gpus) {
  if (!requested.is_cuda() || !env.active()) return requested;
  if (visible_gpus < 0) visible_gpus = static_cast<int64_t>(torch::cuda::device_count());
  if (env.local_rank < 0 || env.local_rank >= visible_gpus)
    fail("LOCAL_RANK", std::to_string(env.local_rank) + " needs GPU " + std::to_string(env.local_rank) +
                           ", but this machine has " + std::to_string(visible_gpus) +
                           " visible (start at most that many ranks per machine, or check CUDA_VISIBLE_DEVICES)");
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(env.local_rank));
}

struct GradientAverager::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  // The backend's allreduce, whichever backend it is (Gloo and NCCL share no base with allreduce in every
  // Torch version we build against).
  std::function<c10::intrusive_ptr<c10d::Work>(std::vector<at::Tensor>&)> allreduce;
  std::function<void()> barrier;
  c10::intrusive_ptr<c10::intrusive_ptr_target> keep_alive;
  torch::Device device{torch::kCPU};  // where small tensors must live for the backend (NCCL: the GPU)
};

GradientAverager::GradientAverager(const DistEnv& env, const std::string& backend) : env_(env), impl_(new Impl) {
  c10d::TCPStoreOptions opts;
  opts.port = static_cast<uint16_t>(env.master_port);
  opts.isServer = env.rank == 0;
  opts.numWorkers = env.world_size;
  impl_->store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, opts);
#ifdef BUA_HAVE_GLOO
  if (backend == "gloo") {
    auto options = c10d::ProcessGroupGloo::Options::create();
    const bool loopback = env.master_addr == "127.0.0.1" || env.master_addr == "localhost";
    options->devices.push_back(loopback ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                                        : c10d::ProcessGroupGloo::createDefaultDevice());
    auto pg = c10::make_intrusive<c10d::ProcessGroupGloo>(impl_->store, env.rank, env.world_size, options);
    impl_->allreduce = [pg](std::vector<at::Tensor>& t) { return pg->allreduce(t); };
    impl_->barrier = [pg] { pg->barrier()->wait(); };
    impl_->keep_alive = pg;
    return;
  }
#endif
#ifdef USE_C10D_NCCL
  if (backend == "nccl") {
    auto pg = c10::make_intrusive<c10d::ProcessGroupNCCL>(impl_->store, env.rank, env.world_size);
    impl_->device = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(env.local_rank));
    impl_->allreduce = [pg](std::vector<at::Tensor>& t) { return pg->allreduce(t); };
    impl_->barrier = [pg] { pg->barrier()->wait(); };
    impl_->keep_alive = pg;
    return;
  }
#endif
  std::string available;
  for (const auto& b : available_backends()) available += " " + b;
  fail("dist backend", "'" + backend + "' is not available in this build (available:" +
                           (available.empty() ? std::string(" none") : available) + ")");
}

std::vector<std::string> available_backends() {
  std::vector<std::string> b;
#ifdef BUA_HAVE_GLOO
  b.push_back("gloo");
#endif
#ifdef USE_C10D_NCCL
  b.push_back("nccl");
#endif
  return b;
}

GradientAverager::~GradientAverager() = default;

std::vector<torch::Tensor> GradientAverager::mean_over_ranks(const std::vector<torch::Tensor>& tensors) {
  // One all-reduce of everything flattened into one buffer, not one per tensor.
  std::vector<torch::Tensor> parts;
  for (const auto& t : tensors) parts.push_back(t.detach().reshape(-1));
  std::vector<at::Tensor> flat{torch::cat(parts)};
  impl_->allreduce(flat)->wait();
  flat[0].div_(env_.world_size);
  std::vector<torch::Tensor> means;
  int64_t offset = 0;
  for (const auto& t : tensors) {
    means.push_back(flat[0].narrow(0, offset, t.numel()).view_as(t));
    offset += t.numel();
  }
  return means;
}

void GradientAverager::average(const std::vector<torch::Tensor>& params) {
  std::vector<torch::Tensor> grads;
  for (const auto& p : params) grads.push_back(p.grad().defined() ? p.grad() : torch::zeros_like(p));
  const auto means = mean_over_ranks(grads);
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < params.size(); ++i) {
    auto& p = params[i];
    if (p.grad().defined()) p.mutable_grad().copy_(means[i]);
    else p.mutable_grad() = means[i].clone();
  }
}

void GradientAverager::average_values(const std::vector<torch::Tensor>& tensors) {
  if (tensors.empty()) return;
  const auto means = mean_over_ranks(tensors);
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < tensors.size(); ++i) tensors[i].copy_(means[i]);
}

std::vector<double> GradientAverager::sum(const std::vector<double>& values) {
  std::vector<at::Tensor> t{torch::tensor(values, torch::kDouble).to(impl_->device)};
  impl_->allreduce(t)->wait();
  const auto host = t[0].cpu();
  return std::vector<double>(host.data_ptr<double>(), host.data_ptr<double>() + host.numel());
}

void GradientAverager::barrier() { impl_->barrier(); }

}  // namespace bua
