#include "bua/eval/numpy_compat.h"

#include <cmath>
#include <limits>
#include <utility>

namespace bua {
namespace {

constexpr size_t kPairwiseBlock = 128;  // NumPy's PW_BLOCKSIZE
constexpr int64_t kSmallSpan = 15;      // a range [lo, hi] with hi - lo <= 15 is insertion sorted

double pairwise_sum(const double* a, size_t n) {
  if (n < 8) {
    double sum = 0.0;
    for (size_t i = 0; i < n; ++i) sum += a[i];
    return sum;
  }
  if (n <= kPairwiseBlock) {
    double r[8];
    for (size_t j = 0; j < 8; ++j) r[j] = a[j];
    size_t i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (size_t j = 0; j < 8; ++j) r[j] += a[i + j];
    }
    double sum = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) sum += a[i];
    return sum;
  }
  size_t half = n / 2;
  half -= half % 8;  // keep the first half a whole number of 8-blocks
  return pairwise_sum(a, half) + pairwise_sum(a + half, n - half);
}

// NumPy's float ordering: NaN compares greater than every number.
bool less(double a, double b) { return a < b || (std::isnan(b) && !std::isnan(a)); }

// Heapsort of idx[lo, lo + n) by values (NumPy's aheapsort, used when quicksort goes too deep).
void heap_argsort(const std::vector<double>& v, int64_t* idx, int64_t n) {
  int64_t* a = idx - 1;  // 1-based heap
  for (int64_t l = n >> 1; l > 0; --l) {
    int64_t top = a[l];
    int64_t i = l;
    for (int64_t j = l << 1; j <= n;) {
      if (j < n && less(v[a[j]], v[a[j + 1]])) ++j;
      if (!less(v[top], v[a[j]])) break;
      a[i] = a[j];
      i = j;
      j += j;
    }
    a[i] = top;
  }
  for (; n > 1;) {
    int64_t top = a[n];
    a[n] = a[1];
    --n;
    int64_t i = 1;
    for (int64_t j = 2; j <= n;) {
      if (j < n && less(v[a[j]], v[a[j + 1]])) ++j;
      if (!less(v[top], v[a[j]])) break;
      a[i] = a[j];
      i = j;
      j += j;
    }
    a[i] = top;
  }
}

int floor_log2(uint64_t n) {
  int bits = 0;
  while (n >>= 1) ++bits;
  return bits;
}

}  // namespace

double numpy_sum(const double* values, size_t n) {
  // The reduction starts from the identity 0.0 and adds the pairwise sum of all n values.
  return 0.0 + pairwise_sum(values, n);
}

double numpy_sum(const std::vector<double>& values) { return numpy_sum(values.data(), values.size()); }

double numpy_mean(const std::vector<double>& values) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  return numpy_sum(values) / static_cast<double>(values.size());
}

double numpy_maximum(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<double>::quiet_NaN();
  return a >= b ? a : b;
}

double numpy_minimum(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<double>::quiet_NaN();
  return a <= b ? a : b;
}

std::vector<int64_t> numpy_argsort(const std::vector<double>& v) {
  const int64_t num = static_cast<int64_t>(v.size());
  std::vector<int64_t> idx(v.size());
  for (int64_t i = 0; i < num; ++i) idx[i] = i;
  if (num < 2) return idx;

  // Iterative introsort over index ranges [lo, hi] (inclusive): the larger side of each partition is
  // pushed with the depth budget left, the smaller one is sorted next.
  struct Pending {
    int64_t lo, hi;
    int depth;
  };
  std::vector<Pending> stack;
  int64_t lo = 0, hi = num - 1;
  int depth = floor_log2(static_cast<uint64_t>(num)) * 2;
  auto value = [&](int64_t pos) { return v[idx[pos]]; };

  for (;;) {
    if (depth < 0) {
      heap_argsort(v, idx.data() + lo, hi - lo + 1);
    } else {
      while (hi - lo > kSmallSpan) {
        // Median of three into lo, mid, hi; the pivot is parked at hi - 1.
        int64_t mid = lo + ((hi - lo) >> 1);
        if (less(value(mid), value(lo))) std::swap(idx[mid], idx[lo]);
        if (less(value(hi), value(mid))) std::swap(idx[hi], idx[mid]);
        if (less(value(mid), value(lo))) std::swap(idx[mid], idx[lo]);
        const double pivot = value(mid);
        int64_t i = lo, j = hi - 1;
        std::swap(idx[mid], idx[j]);
        for (;;) {
          do ++i;
          while (less(value(i), pivot));
          do --j;
          while (less(pivot, value(j)));
          if (i >= j) break;
          std::swap(idx[i], idx[j]);
        }
        std::swap(idx[i], idx[hi - 1]);
        --depth;
        if (i - lo < hi - i) {
          stack.push_back({i + 1, hi, depth});
          hi = i - 1;
        } else {
          stack.push_back({lo, i - 1, depth});
          lo = i + 1;
        }
      }
      // Insertion sort of the short run: stable among equal values.
      for (int64_t i = lo + 1; i <= hi; ++i) {
        const int64_t moving = idx[i];
        const double key = v[moving];
        int64_t j = i;
        while (j > lo && less(key, v[idx[j - 1]])) {
          idx[j] = idx[j - 1];
          --j;
        }
        idx[j] = moving;
      }
    }
    if (stack.empty()) break;
    lo = stack.back().lo;
    hi = stack.back().hi;
    depth = stack.back().depth;
    stack.pop_back();
  }
  return idx;
}

}  // namespace bua
