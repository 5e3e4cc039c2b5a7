#include "bua/util/device_fault.h"

#include <new>
#include <string_view>

namespace bua {
namespace {

bool mentions(std::string_view text, std::initializer_list<std::string_view> markers) {
  for (auto m : markers)
    if (text.find(m) != std::string_view::npos) return true;
  return false;
}

}  // namespace

FailureKind failure_kind(const std::exception& e) {
  if (dynamic_cast<const DeviceFault*>(&e)) return FailureKind::kDevice;
  if (dynamic_cast<const std::bad_alloc*>(&e)) return FailureKind::kOutOfMemory;
  // Our own errors describe the image or an option, never the device.
  if (dynamic_cast<const Error*>(&e)) return FailureKind::kImage;
  const std::string_view what = e.what();
  // c10's CUDA caching allocator ("CUDA out of memory. Tried to allocate ..."), cudaErrorMemoryAllocation
  // ("CUDA error: out of memory") and the CPU allocator ("DefaultCPUAllocator: not enough memory",
  // "can't allocate memory"); before the device markers, which the second also matches.
  if (mentions(what, {"out of memory", "not enough memory", "can't allocate memory", "CUBLAS_STATUS_ALLOC_FAILED",
                      "CUDNN_STATUS_ALLOC_FAILED"}))
    return FailureKind::kOutOfMemory;
  if (mentions(what, {"CUDA error", "CUDA driver error", "cudaError", "cuDNN error", "CUDNN_STATUS_", "CUBLAS_STATUS_",
                      "CUSOLVER_STATUS_", "NCCL error", "ncclInternalError", "ncclUnhandledCudaError",
                      "device-side assert", "illegal memory access"}))
    return FailureKind::kDevice;
  return FailureKind::kImage;
}

}  // namespace bua
