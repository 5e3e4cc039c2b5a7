// Which failures end a run. A fault of the device (a CUDA, cuDNN, cuBLAS or NCCL error, a device-side assert)
// leaves the device unusable for every later image: CUDA errors are sticky, so retrying image by image would
// turn one fault into thousands of listed "bad images" and an exit status of 0 (issue #24). Memory that one
// image alone cannot get will not be there for the next one either. Only a failure of the image itself (its
// pixels, its boxes, a bua::Error about it) is skipped and listed.
#pragma once
#include <exception>

#include "bua/util/error.h"

namespace bua {

enum class FailureKind {
  kImage,        // this image's own problem: skip it, list it, go on
  kOutOfMemory,  // host or device memory: worth one retry with fewer images, then fatal
  kDevice,       // the device is gone for this process: stop
};

// Told from the exception's type (std::bad_alloc, DeviceFault) and, for LibTorch's c10::Error, from the text
// CUDA, cuDNN, cuBLAS, NCCL and the allocators put in it (they share no exception type in 1.13).
FailureKind failure_kind(const std::exception& e);

// Ends a run: what was written before stays, and the same command resumes it.
class DeviceFault : public Error {
 public:
  using Error::Error;
};

}  // namespace bua
