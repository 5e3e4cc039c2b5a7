// Boxes, anchors, NMS and Caffe ROI pooling: hand-checked values, properties, and a literal restatement
// of Caffe's ROI pooling loop as the oracle.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cfloat>
#include <cmath>
#include <functional>
#include <string>

#include "bua/model/anchors.h"
#include "bua/ops/nms.h"
#include "bua/ops/roi_pool.h"
#include "bua/structures/boxes.h"
#include "bua/structures/numpy_exp.h"

namespace bua {
namespace {

torch::Tensor T(std::vector<float> v, int64_t cols) { return torch::tensor(v).view({-1, cols}); }

TEST(Anchors, ReleasedModelCellAnchors) {
  const auto a = generate_anchors(16, {0.5, 1, 2}, {4, 8, 16, 32});
  ASSERT_EQ(a.size(0), 12);
  // ratio 0.5: w = round(sqrt(512)) = 23, h = round(11.5) = 12 (half to even); scale 4 → 92 x 48.
  EXPECT_TRUE(torch::equal(a[0], torch::tensor({-38.0, -16.0, 53.0, 31.0}, torch::kDouble)));
  // The classic py-faster-rcnn anchor (ratio 0.5, scale 8).
  EXPECT_TRUE(torch::equal(a[1], torch::tensor({-84.0, -40.0, 99.0, 55.0}, torch::kDouble)));
  // ratio 1, scale 16: 256 x 256 around 7.5.
  EXPECT_TRUE(torch::equal(a[6], torch::tensor({-120.0, -120.0, 135.0, 135.0}, torch::kDouble)));
  // ratio 2: w = round(sqrt(128)) = 11, h = 22; scale 32 → 352 x 704.
  EXPECT_TRUE(torch::equal(a[11], torch::tensor({-168.0, -344.0, 183.0, 359.0}, torch::kDouble)));
}

TEST(Anchors, GridOrderIsYXAWithAFastest) {
  const auto cell = generate_anchors(16, {1}, {1, 2});
  const auto g = grid_anchors(cell, 2, 3, 16);
  ASSERT_EQ(g.size(0), 2 * 3 * 2);
  // row (y=1, x=2, a=1) = cell[1] + (32, 16, 32, 16)
  EXPECT_TRUE(torch::equal(g[(1 * 3 + 2) * 2 + 1], cell[1] + torch::tensor({32.0, 16.0, 32.0, 16.0}, torch::kDouble)));
}

TEST(NumpyExp, MatchesNumpyFloat32Exp) {
  // (x, np.exp(np.float32(x))) from numpy 1.24 on AVX512F; several differ from the correctly rounded value.
  const std::vector<std::pair<float, float>> cases{
      {-0x1.8ccccc0p+1f, 0x1.710b080p-5f}, {-0x1.6666660p-1f, 0x1.fc80da0p-2f}, {-0x1.f9ad000p-4f, 0x1.c4895c0p-1f},
      {0.0f, 1.0f}, {0x1.4f8b580p-17f, 0x1.0000a80p+0f}, {0x1.3333340p-2f, 0x1.5990580p+0f},
      {0x1.62e4300p-1f, 0x1.0p+1f}, {0x1.3c08320p+0f, 0x1.b7e47a0p+1f}, {0x1.4p+1f, 0x1.85d6fc0p+3f},
      {0x1.f147ae0p+2f, 0x1.280f140p+11f}, {0x1.4p+4f, 0x1.ceb08a0p+28f}, {-0x1.4p+4f, 0x1.1b48660p-29f},
      {0x1.6p+6f, 0x1.f1056e0p+126f}, {-0x1.9p+6f, 0x1.b0p-145f}};
  int differ_from_rounded = 0;
  for (auto [x, want] : cases) {
    EXPECT_EQ(numpy_expf(x), want) << x;
    differ_from_rounded += static_cast<float>(std::exp(static_cast<double>(x))) != want;
  }
  EXPECT_GE(differ_from_rounded, 4);  // the cases do exercise numpy's own rounding
  EXPECT_TRUE(std::isinf(numpy_expf(89.f)));
  EXPECT_EQ(numpy_expf(-104.f), 0.f);
}

TEST(Boxes, DeltasRoundTripAndPlusOneWidths) {
  const auto from = T({0, 0, 9, 19, 5, 5, 14, 9}, 4), to = T({2, 1, 13, 22, 5, 5, 14, 9}, 4);
  const auto d = box_deltas(from, to);
  // width 10 → 12 centred at 5 → 8: dx = 3/10, dw = log(12/10)
  EXPECT_NEAR(d[0][0].item<float>(), 0.3f, 1e-6);
  EXPECT_NEAR(d[0][2].item<float>(), std::log(1.2f), 1e-6);
  EXPECT_TRUE(torch::equal(d[1], torch::zeros({4})));
  const auto back = apply_box_deltas(from, d);
  // The original's inverse gives x2 = ctr + 0.5 w, one more than the +1 convention.
  EXPECT_TRUE(torch::allclose(back, to + torch::tensor({0.f, 0.f, 1.f, 1.f}), 1e-4, 1e-4));
}

TEST(Boxes, ClipAndMinSize) {
  const auto b = T({-5, -3, 120, 50, 10, 10, 12, 40}, 4);
  const auto c = clip_boxes(b, 40, 100);
  EXPECT_TRUE(torch::equal(c, T({0, 0, 99, 39, 10, 10, 12, 39}, 4)));
  const auto keep = boxes_at_least(c, 4);
  ASSERT_EQ(keep.size(0), 1);  // the second box is 3 wide
  EXPECT_EQ(keep[0].item<int64_t>(), 0);
}

TEST(Boxes, IouUsesPlusOne) {
  const auto a = T({0, 0, 9, 9}, 4), b = T({5, 0, 14, 9}, 4);
  EXPECT_NEAR(box_iou(a, b).item<float>(), 50.f / 150.f, 1e-7);
}

TEST(Nms, HandCheckedRuleIsGreaterOrEqual) {
  // IoU(box0, box1) = 50/150 = 1/3 exactly in float32 terms of the rule.
  const auto boxes = T({0, 0, 9, 9, 5, 0, 14, 9, 100, 100, 110, 110}, 4);
  const auto scores = torch::tensor({0.9f, 0.8f, 0.7f});
  EXPECT_TRUE(torch::equal(nms(boxes, scores, 0.5), torch::tensor({0, 1, 2}, torch::kLong)));
  EXPECT_TRUE(torch::equal(nms(boxes, scores, 0.3), torch::tensor({0, 2}, torch::kLong)));
  // At exactly the IoU, suppression happens (>=): the float32 IoU of 50/150 compared in double.
  const double iou = static_cast<double>(50.f / (100.f + 100.f - 50.f));
  EXPECT_TRUE(torch::equal(nms(boxes, scores, iou), torch::tensor({0, 2}, torch::kLong)));
}

TEST(Nms, PropertiesOnRandomBoxes) {
  torch::manual_seed(3);
  for (int trial = 0; trial < 20; ++trial) {
    const auto xy = torch::rand({200, 2}) * 100, wh = torch::rand({200, 2}) * 40 + 1;
    const auto boxes = torch::cat({xy, xy + wh}, 1);
    const auto scores = torch::rand({200});
    const double thr = 0.3 + 0.05 * (trial % 8);
    const auto keep = nms(boxes, scores, thr);
    // The top box is always kept, first.
    EXPECT_EQ(keep[0].item<int64_t>(), scores.argmax().item<int64_t>());
    // No two kept boxes overlap at or above the threshold; scores descend.
    const auto kb = boxes.index_select(0, keep);
    auto iou = box_iou(kb, kb);
    iou.fill_diagonal_(0);
    EXPECT_LT(iou.max().item<float>(), thr);
    const auto ks = scores.index_select(0, keep);
    EXPECT_TRUE(torch::all(ks.narrow(0, 0, ks.size(0) - 1) >= ks.narrow(0, 1, ks.size(0) - 1)).item<bool>());
    // Every dropped box overlaps a kept box with a higher score.
    auto kept_mask = torch::zeros({200}, torch::kBool);
    kept_mask.index_fill_(0, keep, true);
    const auto full = box_iou(boxes, kb);
    for (int64_t i = 0; i < 200; ++i) {
      if (kept_mask[i].item<bool>()) continue;
      const auto cover = (full[i] >= thr) & (ks > scores[i]);
      EXPECT_TRUE(cover.any().item<bool>()) << "box " << i;
    }
  }
}

TEST(Nms, MaxScoresEqualsPerClassLoop) {
  torch::manual_seed(4);
  const auto xy = torch::rand({60, 2}) * 50, wh = torch::rand({60, 2}) * 30 + 1;
  const auto boxes = torch::cat({xy, xy + wh}, 1);
  const auto scores = torch::softmax(torch::randn({60, 7}) * 3, 1);
  auto expect = torch::zeros({60});
  for (int64_t c = 0; c < 7; ++c) {
    const auto keep = nms(boxes, scores.select(1, c), 0.3);
    for (int64_t k = 0; k < keep.size(0); ++k) {
      const auto i = keep[k].item<int64_t>();
      expect[i] = std::max(expect[i].item<float>(), scores[i][c].item<float>());
    }
  }
  EXPECT_TRUE(torch::equal(nms_max_scores(boxes, scores, 0.3), expect));
}

// Caffe's ROIPoolingLayer::Forward_cpu, restated literally.
torch::Tensor caffe_roi_pool(const torch::Tensor& x, const torch::Tensor& rois, int P, float scale) {
  const int C = x.size(1), H = x.size(2), W = x.size(3), R = rois.size(0);
  auto out = torch::empty({R, C, P, P});
  auto xa = x.accessor<float, 4>();
  auto ra = rois.accessor<float, 2>();
  auto oa = out.accessor<float, 4>();
  for (int n = 0; n < R; ++n) {
    int b = ra[n][0];
    int sw = round(ra[n][1] * scale), sh = round(ra[n][2] * scale);
    int ew = round(ra[n][3] * scale), eh = round(ra[n][4] * scale);
    int rh = std::max(eh - sh + 1, 1), rw = std::max(ew - sw + 1, 1);
    float bh = static_cast<float>(rh) / static_cast<float>(P), bw = static_cast<float>(rw) / static_cast<float>(P);
    for (int c = 0; c < C; ++c)
      for (int ph = 0; ph < P; ++ph)
        for (int pw = 0; pw < P; ++pw) {
          int hs = static_cast<int>(floor(static_cast<float>(ph) * bh));
          int ws = static_cast<int>(floor(static_cast<float>(pw) * bw));
          int he = static_cast<int>(ceil(static_cast<float>(ph + 1) * bh));
          int we = static_cast<int>(ceil(static_cast<float>(pw + 1) * bw));
          hs = std::min(std::max(hs + sh, 0), H);
          he = std::min(std::max(he + sh, 0), H);
          ws = std::min(std::max(ws + sw, 0), W);
          we = std::min(std::max(we + sw, 0), W);
          float v = -FLT_MAX;
          if (he <= hs || we <= ws) v = 0;
          for (int h = hs; h < he; ++h)
            for (int w = ws; w < we; ++w) v = std::max(v, xa[b][c][h][w]);
          oa[n][c][ph][pw] = v;
        }
  }
  return out;
}

torch::Tensor random_rois(int64_t n, int64_t batch, float w, float h) {
  const auto b = torch::randint(0, batch, {n, 1}).to(torch::kFloat);
  const auto p1 = torch::rand({n, 2}) * torch::tensor({w * 1.1f, h * 1.1f}) - 10;
  const auto size = torch::rand({n, 2}) * torch::tensor({w / 2, h / 2});
  return torch::cat({b, p1, p1 + size}, 1);
}

TEST(RoiPool, MatchesCaffeLoopOnRandomInputs) {
  torch::manual_seed(5);
  for (int trial = 0; trial < 5; ++trial) {
    const auto x = torch::randn({2, 3, 13, 17});
    const auto rois = random_rois(40, 2, 17 * 16, 13 * 16);
    const int P = 3 + trial * 2;
    const auto ours = roi_pool(x, rois, P, 1.0 / 16);
    const auto ref = caffe_roi_pool(x, rois, P, 1.0f / 16);
    EXPECT_TRUE(torch::equal(ours, ref)) << "trial " << trial;
  }
}

// Inference (no gradient) takes the [N,H,W,C] kernel; it must equal the training kernel's output exactly, in
// every dtype and layout, and keep the caller's memory format.
TEST(RoiPool, InferenceKernelEqualsTrainingKernel) {
  torch::manual_seed(11);
  const auto x = torch::randn({3, 37, 13, 17});
  const auto rois = random_rois(60, 3, 17 * 16, 13 * 16);
  for (auto dtype : {torch::kFloat, torch::kBFloat16, torch::kHalf}) {
    const auto xd = x.to(dtype);
    const auto train = std::get<0>(detail::roi_pool_forward_cpu(xd, rois, 7, 1.0 / 16));
    const auto fast = detail::roi_pool_inference_cpu(xd, rois, 7, 1.0 / 16);
    EXPECT_EQ(fast.scalar_type(), dtype);
    EXPECT_TRUE(fast.is_contiguous());
    EXPECT_TRUE(torch::equal(fast, train)) << dtype;
    const auto cl = detail::roi_pool_inference_cpu(xd.contiguous(torch::MemoryFormat::ChannelsLast), rois, 7, 1.0 / 16);
    EXPECT_TRUE(cl.is_contiguous(torch::MemoryFormat::ChannelsLast));
    EXPECT_TRUE(torch::equal(cl, train)) << dtype;
  }
  // The public entry point takes it without a gradient, and the plane kernel with one: same values.
  auto xg = x.clone().requires_grad_(true);
  EXPECT_TRUE(torch::equal(roi_pool(x, rois, 5, 1.0 / 16), roi_pool(xg, rois, 5, 1.0 / 16).detach()));
}

// The entry point checks what every kernel relies on, with or without a gradient (issue #24: the CUDA kernel
// had no batch-index check, and ROIs on another device than the features were never refused).
std::string torch_error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const c10::Error& e) {
    return e.what_without_backtrace();
  }
  return "";
}

TEST(RoiPool, BatchIndicesAndDeviceAreCheckedForEveryKernel) {
  const auto x = torch::randn({3, 4, 8, 8});
  const auto xg = x.clone().requires_grad_(true);
  for (float b : {3.f, -1.f, NAN}) {
    const auto bad = torch::cat({T({0, 0, 0, 10, 10}, 5), T({b, 0, 0, 10, 10}, 5)});
    for (const auto& features : {x, xg, x.to(torch::kDouble)}) {
      const std::string e = torch_error_of([&] { roi_pool(features, bad, 2, 1.0 / 16); });
      EXPECT_NE(e.find("batch indices of the rois must be in [0, 3)"), std::string::npos) << b << ": " << e;
    }
  }
  EXPECT_NO_THROW(roi_pool(x, T({2, 0, 0, 10, 10}, 5), 2, 1.0 / 16));
  const std::string e = torch_error_of([&] { roi_pool(x, T({0, 0, 0, 10, 10}, 5).to(torch::kMeta), 2, 1.0 / 16); });
  EXPECT_NE(e.find("roi_pool: rois on meta but features on cpu"), std::string::npos) << e;
}

TEST(RoiPool, EmptyBinIsZeroAndTinyRoiReadsOneCell) {
  const auto x = torch::arange(2 * 4 * 4, torch::kFloat).view({1, 2, 4, 4}) - 100;  // all negative
  // A 3x3-pixel ROI maps to one cell: every bin reads cell (1,1).
  const auto one = roi_pool(x, T({0, 16, 16, 18, 18}, 5), 2, 1.0 / 16);
  EXPECT_TRUE(torch::equal(one[0][0], torch::full({2, 2}, x[0][0][1][1].item<float>())));
  // A ROI hanging off the map: its bins past the edge are empty → 0.
  const auto off = roi_pool(x, T({0, 48, 0, 120, 16}, 5), 4, 1.0 / 16);
  EXPECT_EQ(off[0][0][0][3].item<float>(), 0.f);
  EXPECT_LT(off[0][0][0][0].item<float>(), 0.f);
}

TEST(RoiPool, GradientGoesToTheArgmax) {
  torch::manual_seed(6);
  const auto x = torch::randn({2, 2, 9, 11}, torch::dtype(torch::kDouble).requires_grad(true));
  const auto rois = random_rois(12, 2, 11 * 16, 9 * 16);
  const auto y = roi_pool(x, rois, 4, 1.0 / 16);
  const auto g = torch::randn_like(y);
  y.backward(g);
  // Finite differences: the max is piecewise linear, so a small step gives the exact slope.
  auto xd = x.detach().clone();
  const double eps = 1e-6;
  for (int k = 0; k < 30; ++k) {
    const int64_t i = torch::randint(0, xd.numel(), {1}).item<int64_t>();
    auto flat = xd.view(-1);
    const double orig = flat[i].item<double>();
    flat[i] = orig + eps;
    const double up = (roi_pool(xd, rois, 4, 1.0 / 16) * g).sum().item<double>();
    flat[i] = orig - eps;
    const double down = (roi_pool(xd, rois, 4, 1.0 / 16) * g).sum().item<double>();
    flat[i] = orig;
    EXPECT_NEAR((up - down) / (2 * eps), x.grad().view(-1)[i].item<double>(), 1e-6) << "element " << i;
  }
}

}  // namespace
}  // namespace bua
