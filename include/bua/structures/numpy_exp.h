// exp as numpy 1.x computes it on float32 arrays on x86 with AVX2/AVX512F (its SIMD kernel, up to ~2.5 ulp
// off the correctly rounded value): k = rint(x*log2e) by the 1.5*2^23 trick, a two-constant Cody-Waite
// reduction, a degree-5/degree-2 rational approximation, then scaling by 2^k. The original's proposal layer
// decodes box deltas with it, so reproducing its proposals bit for bit needs the same function.
#pragma once
#include <torch/types.h>

namespace bua {

float numpy_expf(float x);

// Elementwise numpy_expf for float32 CPU tensors; torch::exp for anything else (the GPU paths, where the
// last-ulp agreement with numpy is not sought).
torch::Tensor numpy_exp(const torch::Tensor& x);

}  // namespace bua
