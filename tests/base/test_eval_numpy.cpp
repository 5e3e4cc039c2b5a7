// NumPy-compatible pieces of the evaluator, checked against outputs of NumPy 1.24 (whose argsort is the
// same introsort as the NumPy 1.x the original ran with).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "bua/eval/numpy_compat.h"
#include "bua/eval/results_text.h"

namespace bua {
namespace {

std::vector<double> modular_values(int n, int mod, int mul) {
  std::vector<double> v(n);
  for (int i = 0; i < n; ++i) v[i] = ((i * mul) % mod) / 10.0;
  return v;
}

std::vector<double> negated(std::vector<double> v) {
  for (double& x : v) x = -x;
  return v;
}

int64_t weighted_hash(const std::vector<int64_t>& idx) {
  int64_t h = 0;
  for (size_t k = 0; k < idx.size(); ++k) h += idx[k] * static_cast<int64_t>(k + 1);
  return h;
}

// np.argsort(-v) for v[i] = ((i * mul) % mod) / 10: many ties, so the order among equals is the test.
TEST(NumpyArgsort, TiesFollowNumpyQuicksort) {
  EXPECT_EQ(numpy_argsort(negated(modular_values(17, 4, 3))),
            (std::vector<int64_t>{1, 5, 9, 13, 2, 14, 6, 10, 3, 7, 15, 11, 0, 8, 4, 12, 16}));
  EXPECT_EQ(numpy_argsort(negated(modular_values(40, 2, 1))),
            (std::vector<int64_t>{19, 37, 35, 33, 31, 29, 27, 25, 23, 21, 17, 15, 13, 39, 11, 1,  3,  9,  7, 5,
                                  14, 36, 2,  34, 32, 4,  30, 28, 26, 12, 24, 8,  22, 20, 38, 18, 10, 16, 6, 0}));
  EXPECT_EQ(numpy_argsort(negated(modular_values(50, 3, 7))),
            (std::vector<int64_t>{17, 32, 38, 29, 26, 23, 41, 20, 14, 44, 11, 35, 5,  8,  2,  47, 37,
                                  1,  31, 28, 4,  25, 40, 49, 22, 46, 7,  19, 34, 16, 43, 13, 10, 39,
                                  42, 45, 0,  33, 30, 27, 48, 21, 18, 15, 12, 9,  6,  3,  36, 24}));
  EXPECT_EQ(weighted_hash(numpy_argsort(negated(modular_values(300, 7, 31)))), 6692792);
  EXPECT_EQ(weighted_hash(numpy_argsort(negated(modular_values(2000, 11, 17)))), 1994672573);
}

TEST(NumpyArgsort, ShortRunsAreStable) {
  std::vector<double> v{0.5, 0.3, 0.5, 0.3, 0.5};
  EXPECT_EQ(numpy_argsort(v), (std::vector<int64_t>{1, 3, 0, 2, 4}));
}

TEST(NumpyArgsort, NanSortsLast) {
  std::vector<double> v{NAN, 1.0, -2.0, NAN, 0.0};
  EXPECT_EQ(numpy_argsort(v), (std::vector<int64_t>{2, 4, 1, 0, 3}));
}

// An input built (McIlroy's adversary against this introsort) to exhaust the depth budget, so the
// heapsort fallback runs; halved, it has ties inside the heapsorted range. Expected orders from NumPy.
TEST(NumpyArgsort, HeapsortFallbackMatchesNumpy) {
  const std::vector<int> adversary{0,  75, 2,  74, 4,  73, 6,  72, 8,  71, 10, 70, 12, 69, 14, 68, 16, 67, 18, 66,
                                   20, 65, 22, 64, 24, 27, 99, 97, 98, 96, 95, 94, 93, 92, 91, 90, 89, 88, 87, 86,
                                   85, 84, 83, 82, 81, 80, 79, 78, 77, 1,  3,  5,  7,  9,  11, 13, 15, 17, 19, 21,
                                   23, 25, 63, 62, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46,
                                   45, 44, 43, 42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 32, 31, 30, 29, 28, 76, 26};
  std::vector<double> v, halved;
  for (int x : adversary) {
    v.push_back(x / 10.0);
    halved.push_back(static_cast<double>(x / 2));
  }
  EXPECT_EQ(weighted_hash(numpy_argsort(v)), 237841);
  EXPECT_EQ(numpy_argsort(halved),
            (std::vector<int64_t>{0,  49, 2,  50, 4,  51, 6,  52, 8,  53, 10, 54, 12, 55, 14, 56, 16, 57, 18, 58,
                                  20, 59, 22, 60, 24, 61, 99, 25, 96, 97, 95, 94, 92, 93, 90, 91, 88, 89, 86, 87,
                                  85, 84, 83, 82, 81, 80, 79, 78, 77, 76, 75, 74, 72, 73, 71, 70, 69, 68, 67, 66,
                                  65, 64, 63, 62, 23, 21, 19, 17, 13, 15, 11, 9,  7,  5,  3,  1,  98, 48, 47, 46,
                                  45, 44, 43, 42, 40, 41, 39, 38, 37, 36, 35, 34, 32, 33, 31, 30, 29, 27, 28, 26}));
}

// np.sum of a[i] = 0.1 i + 1 / (i + 3): pairwise summation differs from a loop from n = 129 on.
TEST(NumpySum, PairwiseLikeNumpy) {
  auto values = [](int n) {
    std::vector<double> a(n);
    for (int i = 0; i < n; ++i) a[i] = 0.1 * i + 1.0 / (i + 3);
    return a;
  };
  EXPECT_EQ(numpy_sum(values(7)), 3.4289682539682547);
  EXPECT_EQ(numpy_sum(values(8)), 4.2289682539682545);
  EXPECT_EQ(numpy_sum(values(13)), 9.618228993228994);
  EXPECT_EQ(numpy_sum(values(128)), 816.748591338266);
  EXPECT_EQ(numpy_sum(values(129)), 829.5562249260524);   // a plain loop gives ...523
  EXPECT_EQ(numpy_sum(values(1000)), 49955.98746786553);  // a plain loop gives ...5496
  EXPECT_TRUE(std::isnan(numpy_mean({})));
  EXPECT_EQ(numpy_mean({1.0, 2.0, 4.0}), 7.0 / 3.0);
}

// Strings from Python's '{:.Nf}'.format(v).
TEST(ResultsText, FormatsLikePython) {
  EXPECT_EQ(python_fixed(0.0625, 3), "0.062");
  EXPECT_EQ(python_fixed(0.1235, 3), "0.123");
  EXPECT_EQ(python_fixed(2.25, 1), "2.2");
  EXPECT_EQ(python_fixed(2.35, 1), "2.4");
  EXPECT_EQ(python_fixed(0.0005, 3), "0.001");
  EXPECT_EQ(python_fixed(1234.5678, 1), "1234.6");
  EXPECT_EQ(python_fixed(-0.04, 1), "-0.0");
  EXPECT_EQ(python_fixed(1e20, 3), "100000000000000000000.000");
  EXPECT_EQ(python_fixed(0.9995, 3), "1.000");
  EXPECT_EQ(python_fixed(255.95, 1), "255.9");
  EXPECT_EQ(python_fixed(NAN, 3), "nan");
  EXPECT_EQ(python_fixed(-INFINITY, 3), "-inf");
}

TEST(ResultsText, RoundTripShiftsBoxesAndRoundsScores) {
  EvalDetection d{136.8273721054152, 202.83899069742014, 146.84863670013425, 286.3343168084719, 0.775917746244576};
  EvalDetection r = through_results_text(d);
  EXPECT_EQ(r.x1, 137.8);
  EXPECT_EQ(r.y1, 203.8);
  EXPECT_EQ(r.x2, 147.8);
  EXPECT_EQ(r.y2, 287.3);
  EXPECT_EQ(r.score, 0.776);
  EXPECT_EQ(results_text_line(1000, d), "1000 0.776 137.8 203.8 147.8 287.3");
}

}  // namespace
}  // namespace bua
