// Parsing of the --device / --gpu flags shared by the tools.
#pragma once
#include <torch/types.h>

#include <string>
#include <vector>

namespace bua {

// "cpu", "cuda", "cuda:N" (also a bare "N" for a GPU id). Throws bua::Error when CUDA is asked for but
// unavailable, or the index is out of range.
torch::Device parse_device(const std::string& text);
// "0,1,3" → cuda:0, cuda:1, cuda:3; empty → {}. Throws bua::Error naming --gpu for an empty, non-numeric or
// repeated item, and for a GPU this machine does not have.
std::vector<torch::Device> parse_gpu_list(const std::string& text);
// Makes `device` the calling thread's current CUDA device, where cuBLAS and cuDNN handles, NCCL communicators
// and allocations that name no device go: without it every rank or worker thread would also set up on GPU 0.
// Nothing on the CPU. Call it first in each process or worker thread that works on a GPU.
void use_device(const torch::Device& device);
// "bf16" | "fp32" (also "float32", "bfloat16").
torch::ScalarType parse_dtype(const std::string& text);

// Readies the process for CPU work; the tools call it first.
// - Torch's intra-op threads: the CPUs this process may run on, shared among LOCAL_WORLD_SIZE (torchrun) or else
//   `processes_per_machine` processes, unless OMP_NUM_THREADS is set. LibTorch counts physical cores itself and,
//   on some virtual machines, finds 1 of 2; the CPU extraction runs ~1.8x faster on both.
// - Memory: freed blocks are kept for reuse rather than returned to the kernel (glibc).
// Returns the thread count in use.
int setup_cpu_runtime(int processes_per_machine = 1);

// fp32 means IEEE float32 on the GPU too: TF32 convolutions and matmuls (Torch's default for cuDNN) would
// move features by ~1e-3. bf16 runs are unaffected.
void use_exact_float32();

// cuDNN's choice of algorithms, by dtype. fp32 is the exact mode: the same image gives the same features on
// every run, so cuDNN uses deterministic algorithms and no benchmark (which times candidates per input shape
// and may pick another algorithm, with other rounding, on the next run). In bf16 the benchmark is allowed and,
// under "auto", on: faster, and its results differ by bf16 rounding only. `benchmark`: "auto" | "on" | "off";
// "on" with fp32 is refused naming `flag` and --dtype. No effect on the CPU.
void use_cudnn_policy(torch::ScalarType dtype, const std::string& benchmark, const std::string& flag = "--cudnn-benchmark");

}  // namespace bua
