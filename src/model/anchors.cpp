#include "bua/model/anchors.h"

#include <torch/torch.h>

#include <cmath>

namespace bua {
namespace {

struct Window {
  double w, h, cx, cy;
};

Window window(double x1, double y1, double x2, double y2) {
  const double w = x2 - x1 + 1, h = y2 - y1 + 1;
  return {w, h, x1 + 0.5 * (w - 1), y1 + 0.5 * (h - 1)};
}

void push(std::vector<double>& out, double w, double h, double cx, double cy) {
  out.insert(out.end(), {cx - 0.5 * (w - 1), cy - 0.5 * (h - 1), cx + 0.5 * (w - 1), cy + 0.5 * (h - 1)});
}

}  // namespace

torch::Tensor generate_anchors(int base_size, const std::vector<double>& ratios, const std::vector<double>& scales) {
  const Window base = window(0, 0, base_size - 1, base_size - 1);
  std::vector<double> out;
  for (double ratio : ratios) {
    // std::nearbyint rounds half to even in the default rounding mode, like np.round.
    const double ws = std::nearbyint(std::sqrt(base.w * base.h / ratio));
    const double hs = std::nearbyint(ws * ratio);
    std::vector<double> r;
    push(r, ws, hs, base.cx, base.cy);
    const Window rw = window(r[0], r[1], r[2], r[3]);
    for (double scale : scales) push(out, rw.w * scale, rw.h * scale, rw.cx, rw.cy);
  }
  return torch::tensor(out, torch::kDouble).view({-1, 4});
}

torch::Tensor grid_anchors(const torch::Tensor& cell_anchors, int64_t height, int64_t width, int64_t stride) {
  auto opts = cell_anchors.options();
  const auto sx = torch::arange(width, opts) * static_cast<double>(stride);
  const auto sy = torch::arange(height, opts) * static_cast<double>(stride);
  const auto yy = sy.view({-1, 1}).expand({height, width}).reshape(-1);
  const auto xx = sx.view({1, -1}).expand({height, width}).reshape(-1);
  const auto shifts = torch::stack({xx, yy, xx, yy}, 1);  // [K,4]
  return (shifts.unsqueeze(1) + cell_anchors.unsqueeze(0)).reshape({-1, 4});
}

}  // namespace bua
