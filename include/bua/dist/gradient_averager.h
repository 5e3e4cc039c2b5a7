// Data-parallel training over processes with PyTorch's c10d: a process group (NCCL between GPUs, Gloo on CPUs)
// set up torchrun-style from RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and MASTER_PORT, and the gradient
// averaging each iteration needs.
#pragma once
#include <torch/types.h>

#include <memory>
#include <string>
#include <vector>

namespace bua {

struct DistEnv {
  int rank = 0, world_size = 1, local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  bool active() const { return world_size > 1; }
};

// The c10d backends this build has: "gloo" where Gloo's headers were found, "nccl" where Torch has NCCL.
std::vector<std::string> available_backends();

// Reads the torchrun variables; absent ones mean one process. Malformed values are a bua::Error.
DistEnv dist_env_from_environment();

// The device of this rank: cuda:LOCAL_RANK when a CUDA device was asked for and several ranks run, else
// `requested`. Refuses, naming LOCAL_RANK, a rank whose GPU this machine does not have among `visible_gpus`
// (torch::cuda::device_count() when negative), rather than letting two ranks share GPU 0 or fail in NCCL.
torch::Device device_of_rank(const torch::Device& requested, const DistEnv& env, int64_t visible_gpus = -1);

class GradientAverager {
 public:
  // Joins the group (blocks until every rank has). backend: "gloo" or "nccl".
  GradientAverager(const DistEnv& env, const std::string& backend);
  ~GradientAverager();
  // Sums the gradients of `params` over all ranks and divides by the world size (one flattened all-reduce).
  void average(const std::vector<torch::Tensor>& params);
  // Replaces each tensor by its mean over all ranks, in place (BatchNorm running averages before a snapshot).
  void average_values(const std::vector<torch::Tensor>& tensors);
  // Sums a few scalars over ranks (for logging and for agreement checks).
  std::vector<double> sum(const std::vector<double>& values);
  void barrier();
  int rank() const { return env_.rank; }
  int world_size() const { return env_.world_size; }

 private:
  // The mean over ranks of each tensor (all of one dtype), as views into one reduced buffer.
  std::vector<torch::Tensor> mean_over_ranks(const std::vector<torch::Tensor>& tensors);
  struct Impl;
  DistEnv env_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bua
