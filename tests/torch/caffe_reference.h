// The reference run of the original Caffe code (tests/data/caffe, see its README): its blobs as tensors and the
// comparisons the parity tests make against them.
#pragma once
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>

#include "bua/io/npy.h"
#include "bua_test_paths.h"

namespace bua::testing {

inline const std::string kCaffeDir = std::string(BUA_TEST_DATA) + "/caffe";

// A blob of the messi5 run, e.g. "rois", "pool5_flat", "sel_10_100_keep".
inline torch::Tensor caffe_blob(const std::string& name) {
  const NpyArray a = read_npy(kCaffeDir + "/messi5/" + name + ".npy");
  if (a.dtype == "<i4" || a.dtype == "<i8") return torch::tensor(a.as_int64(), torch::kLong).view(a.shape);
  return torch::tensor(a.as_float(), torch::kFloat).view(a.shape);
}

// max|a - b| <= rel * max|b|, the tolerance the reference README suggests for conv features.
inline void expect_rel(const torch::Tensor& ours, const torch::Tensor& theirs, double rel, const std::string& what) {
  ASSERT_EQ(ours.sizes(), theirs.sizes()) << what;
  const double err = (ours - theirs).abs().max().item<double>(), scale = theirs.abs().max().item<double>();
  EXPECT_LE(err, rel * scale) << what << ": max error " << err << " vs max |ref| " << scale;
}

inline void expect_abs(const torch::Tensor& ours, const torch::Tensor& theirs, double tol, const std::string& what) {
  ASSERT_EQ(ours.sizes(), theirs.sizes()) << what;
  EXPECT_LE((ours - theirs).abs().max().item<double>(), tol) << what;
}

}  // namespace bua::testing
