// The one random generator of training, and the only ways it is drawn from. A seeded run must be the same
// function of its seed with every compiler and standard library: std::mt19937's output and std::seed_seq's
// mixing are fixed bit for bit by the C++ standard, but the distributions (uniform_int_distribution,
// normal_distribution, generate_canonical) and std::shuffle are not — libstdc++, libc++ and MSVC give
// different values from the same engine. So every draw goes through the functions below, which use only
// the engine's raw 32-bit outputs.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <random>
#include <utility>
#include <vector>

namespace bua {

using Rng = std::mt19937;

// An engine for one stream, seeded through std::seed_seq with the low and high 32-bit halves of each key
// (e.g. {seed, iteration, slot}): different keys give independent streams.
Rng make_rng(std::initializer_list<uint64_t> keys);

// Uniform integer in [0, n), n >= 1: rejection on 32-bit draws (n must fit in 32 bits), no modulo bias.
uint64_t uniform_below(Rng& rng, uint64_t n);

// Uniform double in [0, 1) with 53 random bits (two draws, as Python's random.random()).
double uniform01(Rng& rng);

// Standard normal by the Box-Muller transform: two uniform01 draws per value, the cosine branch. The draws
// are portable; the value's last bit follows the platform's log and cos, which are not correctly rounded
// everywhere.
double standard_normal(Rng& rng);

// The synthetic dataset's own generator (data/synth_vg.cpp: its images must stay the same function of their
// seed and id, whatever training's stream does): splitmix64, the same on every platform and library.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t next();
  uint64_t below(uint64_t n);  // uniform in [0, n), n > 0, without modulo bias
  template <typename T>
  void shuffle(std::vector<T>& v) {  // Fisher-Yates
    for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[below(i)]);
  }

 private:
  uint64_t state_;
};

// Fisher-Yates from the last element down, as numpy.random.permutation orders its swaps.
template <typename T>
void shuffle(std::vector<T>& v, Rng& rng) {
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[static_cast<size_t>(uniform_below(rng, i))]);
}

}  // namespace bua
