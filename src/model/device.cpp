#include "bua/model/device.h"

#include <malloc.h>
#include <sched.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <set>
#include <sstream>

#include "bua/util/error.h"
#ifdef BUA_WITH_CUDA
#include <c10/cuda/CUDAFunctions.h>
#endif

namespace bua {

torch::Device parse_device(const std::string& text) {
  if (text == "cpu") return torch::Device(torch::kCPU);
  std::string t = text;
  if (!t.empty() && std::isdigit(static_cast<unsigned char>(t[0]))) t = "cuda:" + t;
  if (t.rfind("cuda", 0) != 0) fail("--device", "expected cpu, cuda or cuda:N, got '" + text + "'");
  if (!torch::cuda::is_available()) fail("--device", "'" + text + "' asked for, but no CUDA device is available");
  int index = 0;
  if (t.size() > 4) {
    if (t[4] != ':') fail("--device", "expected cuda:N, got '" + text + "'");
    try {
      index = std::stoi(t.substr(5));
    } catch (const std::exception&) {
      fail("--device", "bad GPU index in '" + text + "'");
    }
  }
  if (index < 0 || index >= static_cast<int>(torch::cuda::device_count()))
    fail("--device", "GPU " + std::to_string(index) + " does not exist (" + std::to_string(torch::cuda::device_count()) +
                         " visible)");
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
}

std::vector<torch::Device> parse_gpu_list(const std::string& text) {
  std::vector<torch::Device> out;
  if (text.empty()) return out;
  // Every problem names --gpu (not --device, which the user did not give), and an empty or repeated item is an
  // error: "0,,1" is a typo, and "0,0" would run two workers onto one output file.
  std::set<int> seen;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    const std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (item.empty()) fail("--gpu", "empty item in '" + text + "' (expected GPU indices, e.g. 0,1,2,3)");
    if (item.size() > 4 || item.find_first_not_of("0123456789") != std::string::npos)
      fail("--gpu", "'" + item + "' is not a GPU index (in '" + text + "')");
    const int index = std::stoi(item);
    if (!seen.insert(index).second) fail("--gpu", "GPU " + item + " appears twice in '" + text + "'");
    out.push_back(torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index)));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  // The whole list is well-formed; only now ask what this machine has.
  if (!torch::cuda::is_available()) fail("--gpu", "'" + text + "' asked for, but no CUDA device is available");
  for (const torch::Device& d : out)
    if (d.index() >= static_cast<int>(torch::cuda::device_count()))
      fail("--gpu", "GPU " + std::to_string(d.index()) + " does not exist (" +
                        std::to_string(torch::cuda::device_count()) + " visible)");
  return out;
}

void use_device(const torch::Device& device) {
  if (!device.is_cuda()) return;
#ifdef BUA_WITH_CUDA
  c10::cuda::set_device(static_cast<c10::DeviceIndex>(device.index() < 0 ? 0 : device.index()));
#else
  fail(device.str(), "this build has no CUDA");
#endif
}

void use_exact_float32() {
  at::globalContext().setAllowTF32CuDNN(false);
  at::globalContext().setAllowTF32CuBLAS(false);
}

void use_cudnn_policy(torch::ScalarType dtype, const std::string& benchmark, const std::string& flag) {
  if (benchmark != "auto" && benchmark != "on" && benchmark != "off")
    fail(flag, "expected auto, on or off, got '" + benchmark + "'");
  const bool exact = dtype == torch::kFloat;
  if (exact && benchmark == "on")
    fail(flag + " on --dtype fp32", "fp32 is the exact mode, the same features on every run; cuDNN's benchmark may "
                                    "pick other algorithms from run to run (use it with --dtype bf16)");
  const bool timed = !exact && benchmark != "off";
  at::globalContext().setBenchmarkCuDNN(timed);
  at::globalContext().setDeterministicCuDNN(!timed);
}

int setup_cpu_runtime(int processes_per_machine) {
#ifdef __GLIBC__
  // Freed blocks stay in the heap for the next image instead of going back to the kernel. Above 32 MB glibc maps
  // each allocation afresh, and a first touch of fresh pages is slow on virtual machines: ROI pooling's 240 MB
  // output took 0.85 s instead of 0.1 s, the trunk 1.1 s instead of 0.6 s. Peak memory is unchanged.
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, std::numeric_limits<int>::max());
#endif
  int threads = torch::get_num_threads();
  if (const char* env = std::getenv("OMP_NUM_THREADS"); !env || !*env) {
    cpu_set_t set;
    CPU_ZERO(&set);
    const int cores = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : 1;
    // torchrun says how many ranks share this machine; without it, assume all `processes_per_machine` do.
    if (const char* local = std::getenv("LOCAL_WORLD_SIZE"); local && std::atoi(local) > 0)
      processes_per_machine = std::atoi(local);
    threads = std::max(1, cores / std::max(1, processes_per_machine));
    torch::set_num_threads(threads);
  }
  return threads;
}

torch::ScalarType parse_dtype(const std::string& text) {
  if (text == "fp32" || text == "float32" || text == "float") return torch::kFloat;
  if (text == "bf16" || text == "bfloat16") return torch::kBFloat16;
  fail("--dtype", "expected fp32 or bf16, got '" + text + "'");
}

}  // namespace bua
