#include "bua/structures/numpy_exp.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>

namespace bua {

float numpy_expf(float x) {
  // Constants of the kernel, as float32 values.
  constexpr float kMax = 0x1.62e430p+6f;    // 88.72283935546875: exp overflows from here on
  constexpr float kMin = -0x1.9fe36ap+6f;   // -103.97208404541015625: exp underflows to 0
  constexpr float kLog2e = 0x1.715476p+0f;
  constexpr float kMagic = 0x1.8p+23f;      // adding and subtracting it rounds to an integer
  constexpr float kLn2Hi = -0x1.62e400p-1f; // -ln 2, split in two for the reduction
  constexpr float kLn2Lo = -0x1.7f7d1cp-20f;
  constexpr float kP[6] = {0x1.000000p+0f, 0x1.7397aap-1f, 0x1.fa98b0p-3f, 0x1.a2fb18p-5f, 0x1.bae2b2p-8f,
                           0x1.0a7bb0p-11f};
  constexpr float kQ[3] = {0x1.000000p+0f, -0x1.18d0aep-2f, 0x1.61d064p-6f};
  if (std::isnan(x)) return x;
  if (x >= kMax) return std::numeric_limits<float>::infinity();
  if (x <= kMin) return 0.0f;
  float k = x * kLog2e;
  k = (k + kMagic) - kMagic;
  float r = std::fma(k, kLn2Hi, x);
  r = std::fma(k, kLn2Lo, r);
  float num = std::fma(kP[5], r, kP[4]);
  num = std::fma(num, r, kP[3]);
  num = std::fma(num, r, kP[2]);
  num = std::fma(num, r, kP[1]);
  num = std::fma(num, r, kP[0]);
  float den = std::fma(kQ[2], r, kQ[1]);
  den = std::fma(den, r, kQ[0]);
  return std::ldexp(num / den, static_cast<int>(k));
}

torch::Tensor numpy_exp(const torch::Tensor& x) {
  if (!x.is_cpu() || x.scalar_type() != torch::kFloat) return torch::exp(x);
  auto in = x.contiguous();
  auto out = torch::empty_like(in);
  const float* src = in.data_ptr<float>();
  float* dst = out.data_ptr<float>();
  for (int64_t i = 0; i < in.numel(); ++i) dst[i] = numpy_expf(src[i]);
  return out;
}

}  // namespace bua
