#include "bua/structures/boxes.h"

#include <torch/torch.h>

#include "bua/structures/numpy_exp.h"

namespace bua {
namespace {

// Width, height and centre of boxes [N,4], as the original computes them.
struct BoxGeometry {
  torch::Tensor w, h, cx, cy;
};

BoxGeometry geometry(const torch::Tensor& b) {
  BoxGeometry g;
  g.w = b.select(1, 2) - b.select(1, 0) + 1.0;
  g.h = b.select(1, 3) - b.select(1, 1) + 1.0;
  g.cx = b.select(1, 0) + 0.5 * g.w;
  g.cy = b.select(1, 1) + 0.5 * g.h;
  return g;
}

}  // namespace

torch::Tensor box_deltas(const torch::Tensor& from, const torch::Tensor& to) {
  TORCH_CHECK(from.dim() == 2 && from.size(1) == 4 && to.sizes() == from.sizes(), "box_deltas: [N,4] inputs expected");
  const BoxGeometry f = geometry(from), t = geometry(to);
  return torch::stack({(t.cx - f.cx) / f.w, (t.cy - f.cy) / f.h, torch::log(t.w / f.w), torch::log(t.h / f.h)}, 1);
}

torch::Tensor apply_box_deltas(const torch::Tensor& boxes, const torch::Tensor& deltas) {
  TORCH_CHECK(boxes.dim() == 2 && boxes.size(1) == 4, "apply_box_deltas: boxes must be [N,4]");
  TORCH_CHECK(deltas.dim() == 2 && deltas.size(0) == boxes.size(0) && deltas.size(1) % 4 == 0,
              "apply_box_deltas: deltas must be [N,4K]");
  if (boxes.size(0) == 0) return torch::zeros_like(deltas);
  const BoxGeometry g = geometry(boxes.to(deltas.scalar_type()));
  const auto d = deltas.view({deltas.size(0), -1, 4});
  const auto w = g.w.unsqueeze(1), h = g.h.unsqueeze(1);
  const auto cx = d.select(2, 0) * w + g.cx.unsqueeze(1);
  const auto cy = d.select(2, 1) * h + g.cy.unsqueeze(1);
  // numpy's float32 exp, so that the proposals come out bit for bit as the original's.
  const auto pw = numpy_exp(d.select(2, 2)) * w;
  const auto ph = numpy_exp(d.select(2, 3)) * h;
  return torch::stack({cx - 0.5 * pw, cy - 0.5 * ph, cx + 0.5 * pw, cy + 0.5 * ph}, 2).view_as(deltas);
}

torch::Tensor clip_boxes(const torch::Tensor& boxes, double height, double width) {
  auto b = boxes.view({boxes.size(0), -1, 4});
  // The original subtracts 1 from the float32 im_info entries, so the bound is float32 too.
  const auto xmax = static_cast<double>(static_cast<float>(width) - 1.0f);
  const auto ymax = static_cast<double>(static_cast<float>(height) - 1.0f);
  auto x = b.select(2, 0).clamp(0, xmax), y = b.select(2, 1).clamp(0, ymax);
  auto x2 = b.select(2, 2).clamp(0, xmax), y2 = b.select(2, 3).clamp(0, ymax);
  return torch::stack({x, y, x2, y2}, 2).view_as(boxes);
}

torch::Tensor boxes_at_least(const torch::Tensor& boxes, double min_size) {
  const auto ws = boxes.select(1, 2) - boxes.select(1, 0) + 1;
  const auto hs = boxes.select(1, 3) - boxes.select(1, 1) + 1;
  // numpy compares a float32 array with a float64 scalar in float32.
  const auto m = boxes.scalar_type() == torch::kFloat ? static_cast<double>(static_cast<float>(min_size)) : min_size;
  return torch::nonzero((ws >= m) & (hs >= m)).view(-1);
}

torch::Tensor box_iou(const torch::Tensor& a, const torch::Tensor& b) {
  const auto area = [](const torch::Tensor& x) {
    return (x.select(1, 2) - x.select(1, 0) + 1) * (x.select(1, 3) - x.select(1, 1) + 1);
  };
  const auto lt = torch::max(a.unsqueeze(1).narrow(2, 0, 2), b.unsqueeze(0).narrow(2, 0, 2));
  const auto rb = torch::min(a.unsqueeze(1).narrow(2, 2, 2), b.unsqueeze(0).narrow(2, 2, 2));
  const auto wh = (rb - lt + 1).clamp_min(0);
  const auto inter = wh.select(2, 0) * wh.select(2, 1);
  return inter / (area(a).unsqueeze(1) + area(b).unsqueeze(0) - inter);
}

}  // namespace bua
