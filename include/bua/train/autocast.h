// Mixed-precision training as Python's torch.autocast does it: inside the scope, convolutions and matrix
// products on the device run in bf16 while the weights, their gradients and the solver stay float32. bf16 has
// float32's range, so no loss scaling is needed (fp16 would need it, and is not offered).
#pragma once
#include <torch/types.h>

namespace bua {

class AutocastScope {
 public:
  // dtype kFloat: a scope that changes nothing. Otherwise only kBFloat16 is accepted.
  AutocastScope(const torch::Device& device, torch::ScalarType dtype);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  c10::DeviceType device_type_;
  bool active_ = false, was_enabled_ = false;
  torch::ScalarType previous_dtype_ = torch::kFloat;
};

}  // namespace bua
