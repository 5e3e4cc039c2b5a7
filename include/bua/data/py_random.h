// Python's `random` module generator (MT19937 seeded by init_by_array, random() from two draws) and the
// Python 2 random.shuffle, so create_splits shuffles exactly as the original create_splits.py did.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace bua {

class PyRandom {
 public:
  // random.seed(n) for a non-negative integer n.
  explicit PyRandom(uint64_t seed);

  uint32_t genrand_uint32();
  double random();  // [0, 1), 53 bits

  // Python 2.7 random.shuffle: for i from n-1 down to 1, j = int(random() * (i + 1)), swap.
  template <typename T>
  void shuffle(std::vector<T>& items) {
    for (size_t i = items.size(); i-- > 1;) {
      const auto j = static_cast<size_t>(random() * static_cast<double>(i + 1));
      std::swap(items[i], items[j]);
    }
  }

 private:
  static constexpr int kN = 624;
  std::array<uint32_t, kN> mt_{};
  int index_ = kN;
};

}  // namespace bua
