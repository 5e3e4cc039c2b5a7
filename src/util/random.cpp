#include "bua/util/random.h"

#include <cmath>

#include "bua/util/error.h"

namespace bua {

Rng make_rng(std::initializer_list<uint64_t> keys) {
  std::vector<uint32_t> words;
  for (uint64_t k : keys) {
    words.push_back(static_cast<uint32_t>(k));
    words.push_back(static_cast<uint32_t>(k >> 32));
  }
  std::seed_seq seq(words.begin(), words.end());
  return Rng(seq);
}

uint64_t uniform_below(Rng& rng, uint64_t n) {
  constexpr uint64_t range = uint64_t{1} << 32;
  if (n == 0 || n > range) fail("uniform_below", "n must be in [1, 2^32], got " + std::to_string(n));
  const uint64_t bound = range - range % n;  // the largest multiple of n in the 32-bit range
  uint64_t x;
  do {
    x = rng();
  } while (x >= bound);
  return x % n;
}

double uniform01(Rng& rng) {
  const uint64_t a = rng() >> 5, b = rng() >> 6;
  return (static_cast<double>(a) * 67108864.0 + static_cast<double>(b)) * (1.0 / 9007199254740992.0);
}

double standard_normal(Rng& rng) {
  const double u1 = 1.0 - uniform01(rng);  // (0, 1]: log is finite
  const double u2 = uniform01(rng);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

uint64_t SplitMix64::next() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint64_t SplitMix64::below(uint64_t n) {
  const uint64_t threshold = (0 - n) % n;  // values under it would bias the modulo
  while (true) {
    const uint64_t r = next();
    if (r >= threshold) return r % n;
  }
}

}  // namespace bua
