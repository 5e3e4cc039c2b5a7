#include "bua/model/device.h"

#include <torch/torch.h>

#include <sstream>

#include "bua/util/error.h"

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
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(parse_device(item));
  return out;
}

void use_exact_float32() {
  at::globalContext().setAllowTF32CuDNN(false);
  at::globalContext().setAllowTF32CuBLAS(false);
}

torch::ScalarType parse_dtype(const std::string& text) {
  if (text == "fp32" || text == "float32" || text == "float") return torch::kFloat;
  if (text == "bf16" || text == "bfloat16") return torch::kBFloat16;
  fail("--dtype", "expected fp32 or bf16, got '" + text + "'");
}

}  // namespace bua
