// The NumPy reductions and the sort that the original evaluation runs, reimplemented operation for
// operation. Its AP values come out of float64 sums whose rounding depends on NumPy's summation order,
// and out of a sort whose order among equal (3-decimal) scores decides which detection counts first;
// matching the published code to the last bit means matching both.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace bua {

// np.add.reduce of a contiguous float64 array: NumPy's pairwise summation (8 running partial sums for
// blocks of up to 128 values, halving above that), not a left-to-right loop.
double numpy_sum(const double* values, size_t n);
double numpy_sum(const std::vector<double>& values);

// np.mean: numpy_sum / n. NaN for an empty array (NumPy warns and returns nan).
double numpy_mean(const std::vector<double>& values);

// np.maximum / np.minimum on two float64 values: a NaN in either operand gives NaN.
double numpy_maximum(double a, double b);
double numpy_minimum(double a, double b);

// np.argsort(values) with the default kind='quicksort', which is NumPy's introsort: median-of-3
// quicksort, insertion sort for runs of at most 16, heapsort past a depth of 2*floor(log2 n). It is not
// stable, and the order it leaves equal values in is part of the original's results. NaN sorts last.
std::vector<int64_t> numpy_argsort(const std::vector<double>& values);

}  // namespace bua
