// Anchors exactly as the original lib/rpn/generate_anchors.py: a base window (0,0,base-1,base-1), widths and
// heights per aspect ratio rounded half-to-even (numpy's round), then scaled; order ratio-major, scale-minor.
#pragma once
#include <torch/types.h>

#include <vector>

namespace bua {

// [A,4] float64 cell anchors, A = ratios.size() * scales.size().
torch::Tensor generate_anchors(int base_size, const std::vector<double>& ratios, const std::vector<double>& scales);

// Anchors over a feature map of height x width: [H*W*A, 4], ordered (y, x, a) with a fastest, shifted by
// stride pixels per cell — the order of the RPN outputs after transposing to (h, w, a).
torch::Tensor grid_anchors(const torch::Tensor& cell_anchors, int64_t height, int64_t width, int64_t stride);

}  // namespace bua
