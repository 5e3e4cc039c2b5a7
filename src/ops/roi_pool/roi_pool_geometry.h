// The ROI-to-bin geometry shared by the CPU and CUDA kernels, written once so both follow Caffe exactly.
#pragma once
#include <cmath>
#include <cstdint>

#ifdef __CUDACC__
#define BUA_HOST_DEVICE __host__ __device__
#else
#define BUA_HOST_DEVICE
#endif

namespace bua::detail {

struct RoiGrid {
  int64_t batch;
  int start_w, start_h;
  float bin_w, bin_h;  // float32 bin sizes, as Caffe's Dtype arithmetic

  // [start, end) rows of bin ph, clipped to [0, height].
  BUA_HOST_DEVICE void bin_range(int p, float bin, int start, int64_t limit, int64_t& s, int64_t& e) const {
    int lo = static_cast<int>(floorf(static_cast<float>(p) * bin)) + start;
    int hi = static_cast<int>(ceilf(static_cast<float>(p + 1) * bin)) + start;
    s = lo < 0 ? 0 : (lo > limit ? limit : lo);
    e = hi < 0 ? 0 : (hi > limit ? limit : hi);
  }
#ifndef __CUDACC__
  struct Range {
    int64_t first, second;
  };
  Range bin_rows(int64_t ph, int64_t height) const {
    Range r{};
    bin_range(static_cast<int>(ph), bin_h, start_h, height, r.first, r.second);
    return r;
  }
  Range bin_cols(int64_t pw, int64_t width) const {
    Range r{};
    bin_range(static_cast<int>(pw), bin_w, start_w, width, r.first, r.second);
    return r;
  }
#endif
};

// roi = (batch, x1, y1, x2, y2) in input pixels.
BUA_HOST_DEVICE inline RoiGrid roi_grid(const float* roi, float scale, int64_t pooled) {
  RoiGrid g;
  g.batch = static_cast<int64_t>(roi[0]);
  g.start_w = static_cast<int>(roundf(roi[1] * scale));
  g.start_h = static_cast<int>(roundf(roi[2] * scale));
  const int end_w = static_cast<int>(roundf(roi[3] * scale));
  const int end_h = static_cast<int>(roundf(roi[4] * scale));
  const int rw = end_w - g.start_w + 1 > 1 ? end_w - g.start_w + 1 : 1;
  const int rh = end_h - g.start_h + 1 > 1 ? end_h - g.start_h + 1 : 1;
  g.bin_w = static_cast<float>(rw) / static_cast<float>(pooled);
  g.bin_h = static_cast<float>(rh) / static_cast<float>(pooled);
  return g;
}

}  // namespace bua::detail
