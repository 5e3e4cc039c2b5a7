#include "bua/train/autocast.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include "bua/util/error.h"

// Torch 2.4 replaced the per-backend autocast switches (set_enabled for CUDA, set_cpu_enabled ...) by functions
// taking the device type; the old ones are deprecated there and absent in Debian's 1.13 the other way round.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define BUA_AUTOCAST_BY_DEVICE_TYPE 1
#endif

namespace bua {
namespace {

bool autocast_enabled(c10::DeviceType t) {
#ifdef BUA_AUTOCAST_BY_DEVICE_TYPE
  return at::autocast::is_autocast_enabled(t);
#else
  return t == c10::DeviceType::CUDA ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
#endif
}

void set_autocast_enabled(c10::DeviceType t, bool on) {
#ifdef BUA_AUTOCAST_BY_DEVICE_TYPE
  at::autocast::set_autocast_enabled(t, on);
#else
  if (t == c10::DeviceType::CUDA) at::autocast::set_enabled(on);
  else at::autocast::set_cpu_enabled(on);
#endif
}

torch::ScalarType autocast_dtype(c10::DeviceType t) {
#ifdef BUA_AUTOCAST_BY_DEVICE_TYPE
  return at::autocast::get_autocast_dtype(t);
#else
  return t == c10::DeviceType::CUDA ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
#endif
}

void set_autocast_dtype(c10::DeviceType t, torch::ScalarType dtype) {
#ifdef BUA_AUTOCAST_BY_DEVICE_TYPE
  at::autocast::set_autocast_dtype(t, dtype);
#else
  if (t == c10::DeviceType::CUDA) at::autocast::set_autocast_gpu_dtype(dtype);
  else at::autocast::set_autocast_cpu_dtype(dtype);
#endif
}

}  // namespace

AutocastScope::AutocastScope(const torch::Device& device, torch::ScalarType dtype) : device_type_(device.type()) {
  if (dtype == torch::kFloat) return;
  if (dtype != torch::kBFloat16) fail("mixed precision", "only bf16 is supported");
  if (device_type_ != c10::DeviceType::CPU && device_type_ != c10::DeviceType::CUDA)
    fail("mixed precision", "needs a CPU or CUDA device");
  active_ = true;
  was_enabled_ = autocast_enabled(device_type_);
  previous_dtype_ = autocast_dtype(device_type_);
  set_autocast_enabled(device_type_, true);
  set_autocast_dtype(device_type_, dtype);
  at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope() {
  if (!active_) return;
  // Leaving the outermost scope drops the bf16 copies of the weights cached for this forward pass.
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  set_autocast_enabled(device_type_, was_enabled_);
  set_autocast_dtype(device_type_, previous_dtype_);
}

}  // namespace bua
