// Training targets and losses (src/train): hand-built cases for each rule of the original
// anchor_target_layer.py / proposal_target_layer.py, and the losses against hand-computed values, Caffe's
// backward formulas and finite differences.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <vector>

#include "bua/model/anchors.h"
#include "bua/structures/boxes.h"
#include "bua/train/anchor_targets.h"
#include "bua/train/losses.h"
#include "bua/train/proposal_targets.h"
#include "bua/util/error.h"

namespace bua {
namespace {

torch::Tensor T(std::vector<float> v, int64_t cols) { return torch::tensor(v).view({-1, cols}); }
torch::Tensor L(std::vector<int64_t> v) { return torch::tensor(v, torch::kLong); }

std::vector<int64_t> to_vec(const torch::Tensor& t) {
  auto c = t.to(torch::kLong).contiguous();
  return {c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel()};
}

int64_t count(const torch::Tensor& labels, int64_t v) { return (labels == v).sum().item<int64_t>(); }

TrainConfig rpn_config(int batch = 1000) {
  TrainConfig cfg;
  cfg.RPN_BATCHSIZE = batch;  // large: nothing is subsampled unless a test asks for it
  return cfg;
}

// ---------------------------------------------------------------- sampling

TEST(TargetSampling, DrawsDistinctMembersAndFollowsTheSeed) {
  const auto pool = torch::arange(100, 200, torch::kLong);
  std::mt19937 a(7), b(7), c(8);
  const auto s = sample_without_replacement(pool, 30, a);
  ASSERT_EQ(s.size(0), 30);
  const auto v = to_vec(s);
  EXPECT_EQ(std::set<int64_t>(v.begin(), v.end()).size(), 30u);
  for (auto x : v) EXPECT_TRUE(x >= 100 && x < 200);
  EXPECT_TRUE(torch::equal(s, sample_without_replacement(pool, 30, b)));
  EXPECT_FALSE(torch::equal(s, sample_without_replacement(pool, 30, c)));
  EXPECT_EQ(sample_without_replacement(pool, 0, a).size(0), 0);
  EXPECT_THROW(sample_without_replacement(pool, 101, a), Error);
}

TEST(TargetSampling, EveryMemberIsEquallyLikely) {
  // 3 of 6, 6000 times: each member is drawn about 3000 times (binomial sd ~39).
  std::mt19937 rng(3);
  std::vector<int> hits(6, 0);
  for (int i = 0; i < 6000; ++i)
    for (auto x : to_vec(sample_without_replacement(torch::arange(6, torch::kLong), 3, rng))) ++hits[x];
  for (int h : hits) EXPECT_NEAR(h, 3000, 200);
}

// ---------------------------------------------------------------- anchor targets

TEST(AnchorTargets, AnchorsCrossingTheBorderAreIgnored) {
  // Image 20 x 20. Each of the first four would be positive (IoU >= 0.7 with the gt) if it were kept.
  const auto anchors = T({-1, 0,  10, 10,   // x1 < 0
                          0,  -1, 10, 10,   // y1 < 0
                          0,  0,  20, 10,   // x2 == width
                          0,  0,  10, 20,   // y2 == height
                          0,  0,  10, 10,   // inside: the gt itself
                          12, 12, 19, 19},  // inside up to the last pixel, no overlap
                         4);
  std::mt19937 rng(1);
  const auto t = anchor_targets(anchors, T({0, 0, 10, 10}, 4), 20, 20, rpn_config(), rng);
  EXPECT_EQ(to_vec(t.labels), (std::vector<int64_t>{-1, -1, -1, -1, 1, 0}));
  const auto outside_rows = torch::arange(4);
  EXPECT_EQ(t.bbox_targets.index_select(0, outside_rows).abs().sum().item<float>(), 0);
  EXPECT_EQ(t.inside_weights.index_select(0, outside_rows).abs().sum().item<float>(), 0);
  EXPECT_EQ(t.outside_weights.index_select(0, outside_rows).abs().sum().item<float>(), 0);
}

// gt0 (0,0,9,9), area 100; gt1 (30,30,49,49), area 400, whose best anchors reach only 2/3.
const std::vector<float> kTwoGt = {0, 0, 9, 9, 30, 30, 49, 49};
const std::vector<float> kThresholdAnchors = {
    0,  0,  9,  9,   // 0: IoU 1 with gt0              → 1
    0,  0,  9,  12,  // 1: 100/130 = 0.77 with gt0     → 1
    0,  0,  9,  19,  // 2: 100/200 = 0.5               → -1
    50, 50, 59, 59,  // 3: overlaps nothing            → 0
    30, 30, 49, 59,  // 4: 400/600 = 0.67, gt1's best  → 1
    30, 30, 49, 69,  // 5: 400/800 = 0.5               → -1
    30, 30, 49, 59,  // 6: ties with 4 for gt1's best  → 1
};

TEST(AnchorTargets, ThresholdsAndEachGtsBestAnchorsWithTies) {
  std::mt19937 rng(1);
  const auto anchors = T(kThresholdAnchors, 4), gt = T(kTwoGt, 4);
  const auto t = anchor_targets(anchors, gt, 100, 100, rpn_config(), rng);
  EXPECT_EQ(to_vec(t.labels), (std::vector<int64_t>{1, 1, -1, 0, 1, -1, 1}));
  // Targets move every kept anchor onto the gt it overlaps most (anchor 3 overlaps none: argmax picks gt0).
  const auto best = L({0, 0, 0, 0, 1, 1, 1});
  EXPECT_TRUE(torch::allclose(
      t.bbox_targets,
      box_deltas(anchors.to(torch::kDouble), gt.index_select(0, best).to(torch::kDouble)).to(torch::kFloat)));
  // Anchor 1 by hand: centre y 6.5 vs 5 over height 13, height ratio 10/13.
  EXPECT_NEAR(t.bbox_targets[1][1].item<float>(), -1.5 / 13, 1e-6);
  EXPECT_NEAR(t.bbox_targets[1][3].item<float>(), std::log(10.0 / 13), 1e-6);
  // Inside weights on positives; outside weights 1/5 on the 4 positives and the negative.
  const auto pos = (t.labels == 1).to(torch::kFloat).unsqueeze(1).expand({7, 4});
  EXPECT_TRUE(torch::equal(t.inside_weights, pos));
  const auto sampled = (t.labels >= 0).to(torch::kFloat).unsqueeze(1).expand({7, 4});
  EXPECT_TRUE(torch::allclose(t.outside_weights, sampled / 5.0));
}

TEST(AnchorTargets, ClobberingDecidesBetweenBestAnchorAndNegative) {
  // Anchor 0 is the gt's best match but has IoU 100/400 = 0.25 < 0.3.
  const auto anchors = T({0, 0, 9, 39, 60, 60, 69, 69}, 4);
  const auto gt = T({0, 0, 9, 9}, 4);
  auto cfg = rpn_config();
  std::mt19937 rng(1);
  EXPECT_EQ(to_vec(anchor_targets(anchors, gt, 100, 100, cfg, rng).labels), (std::vector<int64_t>{1, 0}));
  cfg.RPN_CLOBBER_POSITIVES = true;
  EXPECT_EQ(to_vec(anchor_targets(anchors, gt, 100, 100, cfg, rng).labels), (std::vector<int64_t>{0, 0}));
}

TEST(AnchorTargets, GtOverlappingNoAnchorMarksItsZeroOverlapAnchorsAsTheOriginalDoes) {
  // The gt's best overlap is 0, so np.where(overlaps == gt_max_overlaps) holds every anchor.
  const auto anchors = T({0, 0, 9, 9, 20, 20, 29, 29}, 4);
  std::mt19937 rng(1);
  const auto t = anchor_targets(anchors, T({50, 50, 59, 59}, 4), 100, 100, rpn_config(), rng);
  EXPECT_EQ(to_vec(t.labels), (std::vector<int64_t>{1, 1}));
}

// A realistic grid: the released model's 12 anchors over a 38 x 50 map, three gt boxes.
struct GridCase {
  torch::Tensor anchors = grid_anchors(generate_anchors(16, {0.5, 1, 2}, {4, 8, 16, 32}), 38, 50, 16).to(torch::kFloat);
  torch::Tensor gt = T({100, 120, 300, 400, 400, 50, 700, 250, 20, 500, 90, 590}, 4);
};

TEST(AnchorTargets, SubsamplesToTheBatchAndOnlyAmongCandidates) {
  GridCase g;
  std::mt19937 rng(5);
  const auto full = anchor_targets(g.anchors, g.gt, 600, 800, rpn_config(1000000), rng);
  const int64_t all_fg = count(full.labels, 1), all_bg = count(full.labels, 0);
  ASSERT_GT(all_fg, 12);  // enough positives for the fg cap to bite

  auto cfg = rpn_config(25);  // 25 * 0.5 = 12.5 → 12 positives (int() truncates), 13 negatives
  const auto t = anchor_targets(g.anchors, g.gt, 600, 800, cfg, rng);
  EXPECT_EQ(count(t.labels, 1), 12);
  EXPECT_EQ(count(t.labels, 0), 13);
  EXPECT_TRUE(((t.labels == 1) <= (full.labels == 1)).all().item<bool>());
  EXPECT_TRUE(((t.labels == 0) <= (full.labels == 0)).all().item<bool>());
  // Targets do not depend on sampling; weights follow it.
  EXPECT_TRUE(torch::equal(t.bbox_targets, full.bbox_targets));
  const auto sampled = (t.labels >= 0).to(torch::kFloat).unsqueeze(1).expand_as(t.outside_weights);
  EXPECT_TRUE(torch::allclose(t.outside_weights, sampled / 25.0));
  EXPECT_EQ(t.inside_weights.sum().item<float>(), 12 * 4);

  // Fewer positives than the cap: the negatives make up the batch.
  cfg.RPN_BATCHSIZE = 2 * static_cast<int>(all_fg) + 10;
  const auto u = anchor_targets(g.anchors, g.gt, 600, 800, cfg, rng);
  EXPECT_EQ(count(u.labels, 1), all_fg);
  EXPECT_EQ(count(u.labels, 0), all_fg + 10);
  EXPECT_GT(all_bg, all_fg + 10);
}

TEST(AnchorTargets, SeededRngGivesTheSameSample) {
  GridCase g;
  std::mt19937 a(11), b(11), c(12);
  const auto cfg = rpn_config(64);
  const auto ta = anchor_targets(g.anchors, g.gt, 600, 800, cfg, a);
  EXPECT_TRUE(torch::equal(ta.labels, anchor_targets(g.anchors, g.gt, 600, 800, cfg, b).labels));
  EXPECT_FALSE(torch::equal(ta.labels, anchor_targets(g.anchors, g.gt, 600, 800, cfg, c).labels));
}

TEST(AnchorTargets, NoGtSamplesOnlyNegatives) {
  GridCase g;
  std::mt19937 rng(2);
  const auto t = anchor_targets(g.anchors, torch::zeros({0, 4}), 600, 800, rpn_config(64), rng);
  EXPECT_EQ(count(t.labels, 1), 0);
  EXPECT_EQ(count(t.labels, 0), 64);
  EXPECT_EQ(t.bbox_targets.abs().sum().item<float>(), 0);
  EXPECT_EQ(t.inside_weights.abs().sum().item<float>(), 0);
  EXPECT_NEAR(t.outside_weights.sum().item<float>(), 4.0, 1e-5);  // 64 rows x 4 x 1/64
}

TEST(AnchorTargets, PositiveWeightSplitsTheOutsideWeights) {
  std::mt19937 rng(1);
  auto cfg = rpn_config();
  cfg.RPN_POSITIVE_WEIGHT = 0.25;
  const auto t = anchor_targets(T(kThresholdAnchors, 4), T(kTwoGt, 4), 100, 100, cfg, rng);
  EXPECT_NEAR(t.outside_weights[0][0].item<float>(), 0.25 / 4, 1e-7);  // 4 positives
  EXPECT_NEAR(t.outside_weights[3][2].item<float>(), 0.75 / 1, 1e-7);  // 1 negative
  EXPECT_EQ(t.outside_weights[2][0].item<float>(), 0);                 // ignored
  cfg.RPN_POSITIVE_WEIGHT = 1.5;
  EXPECT_THROW(anchor_targets(T(kThresholdAnchors, 4), T(kTwoGt, 4), 100, 100, cfg, rng), Error);
}

TEST(AnchorTargets, NormalizedTargets) {
  std::mt19937 rng(1);
  auto cfg = rpn_config();
  const auto plain = anchor_targets(T(kThresholdAnchors, 4), T(kTwoGt, 4), 100, 100, cfg, rng);
  cfg.RPN_NORMALIZE_TARGETS = true;
  cfg.RPN_NORMALIZE_MEANS = {0.1, 0, 0, -0.1};
  const auto t = anchor_targets(T(kThresholdAnchors, 4), T(kTwoGt, 4), 100, 100, cfg, rng);
  const auto m = torch::tensor({0.1f, 0.f, 0.f, -0.1f}), s = torch::tensor({0.1f, 0.1f, 0.2f, 0.2f});
  EXPECT_TRUE(torch::allclose(t.bbox_targets, (plain.bbox_targets - m) / s, 1e-5, 1e-6));
}

// ---------------------------------------------------------------- proposal targets

// gt0 (0,0,99,99) class 3 with attributes {7, 2}; gt1 (200,200,299,299) class 5 with none.
struct RoiCase {
  torch::Tensor gt = T({0, 0, 99, 99, 200, 200, 299, 299}, 4);
  torch::Tensor classes = L({3, 5});
  torch::Tensor attrs = torch::zeros({2, 16}, torch::kLong);
  torch::Tensor proposals = T({0,   0,   99,  79,    // P0: 0.8 with gt0   → fg
                               0,   0,   99,  49,    // P1: 0.5 with gt0   → fg (>= FG_THRESH)
                               0,   0,   99,  48,    // P2: 0.49 with gt0  → bg
                               400, 400, 449, 449,   // P3: 0              → bg only if BG_THRESH_LO is 0
                               200, 200, 299, 349},  // P4: 0.67 with gt1  → fg
                              4);
  TrainConfig cfg;
  RoiCase() {
    attrs[0][0] = 7;
    attrs[0][1] = 2;
    cfg.BATCH_SIZE = 64;
    cfg.FG_FRACTION = 0.5;
    cfg.BG_THRESH_LO = 0.0;
    cfg.BBOX_NORMALIZE_TARGETS_PRECOMPUTED = true;
  }
  RoiTargets run(std::mt19937& rng) const { return proposal_targets(proposals, gt, classes, attrs, 8, cfg, rng); }
};

TEST(ProposalTargets, LabelsTargetsAndAttributesOfEveryRow) {
  RoiCase c;
  std::mt19937 rng(4);
  const auto t = c.run(rng);
  // Candidates: P0..P4, then gt0, gt1. fg: P0, P1, P4, gt0, gt1; bg: P2, P3.
  ASSERT_EQ(t.num_fg, 5);
  ASSERT_EQ(t.rois.size(0), 7);
  const auto candidates = torch::cat({c.proposals, c.gt});
  const std::map<int64_t, int64_t> matched = {{0, 0}, {1, 0}, {2, 0}, {3, 0}, {4, 1}, {5, 0}, {6, 1}};
  std::set<int64_t> seen;
  for (int64_t r = 0; r < 7; ++r) {
    // Which candidate is this row?
    const auto hit = torch::nonzero((candidates == t.rois[r]).all(1)).view(-1);
    ASSERT_EQ(hit.size(0), 1);
    const int64_t i = hit.item<int64_t>();
    seen.insert(i);
    const bool fg = i != 2 && i != 3;
    EXPECT_EQ(fg, r < t.num_fg) << "row " << r;  // foreground rows first
    const int64_t g = matched.at(i);
    EXPECT_EQ(t.matched_gt[r].item<int64_t>(), g);
    const int64_t cls = fg ? c.classes[g].item<int64_t>() : 0;
    EXPECT_EQ(t.labels[r].item<int64_t>(), cls);
    // Class-specific, normalized targets in columns 4*cls..4*cls+3 only.
    auto want = torch::zeros({8, 4});
    auto want_w = torch::zeros({8, 4});
    if (fg) {
      const auto d = box_deltas(t.rois[r].unsqueeze(0), c.gt[g].unsqueeze(0))[0];
      want[cls] = d / torch::tensor({0.1f, 0.1f, 0.2f, 0.2f});
      want_w[cls] = torch::ones({4});
    }
    EXPECT_TRUE(torch::allclose(t.bbox_targets[r], want.view(-1), 1e-5, 1e-6)) << "row " << r;
    EXPECT_TRUE(torch::equal(t.inside_weights[r], want_w.view(-1)));
    EXPECT_TRUE(torch::equal(t.outside_weights[r], want_w.view(-1)));
    // Attributes: gt0 → {7, 2, -1...}; gt1 (none) → {0, -1...}; background → all -1.
    auto want_a = torch::full({16}, -1, torch::kLong);
    if (fg && g == 0) want_a[0] = 7, want_a[1] = 2;
    if (fg && g == 1) want_a[0] = 0;
    EXPECT_TRUE(torch::equal(t.attributes[r], want_a)) << "row " << r;
  }
  EXPECT_EQ(seen.size(), 7u);  // every candidate once: gt boxes appended, no repeats
}

TEST(ProposalTargets, BackgroundRangeAndShortImages) {
  RoiCase c;
  c.cfg.BG_THRESH_LO = 0.1;  // P3 (IoU 0) is neither fg nor bg
  std::mt19937 rng(4);
  const auto t = c.run(rng);
  EXPECT_EQ(t.num_fg, 5);
  EXPECT_EQ(t.rois.size(0), 6);  // no sampling with replacement: the batch stays short
  EXPECT_EQ(count(t.labels, 0), 1);
}

TEST(ProposalTargets, ForegroundCapRoundsHalfToEven) {
  RoiCase c;
  c.cfg.BATCH_SIZE = 10;
  c.cfg.FG_FRACTION = 0.25;  // 2.5 → np.round → 2
  std::mt19937 rng(4);
  auto t = c.run(rng);
  EXPECT_EQ(t.num_fg, 2);
  EXPECT_EQ(t.rois.size(0), 4);  // 2 fg + both bg candidates
  EXPECT_EQ(count(t.labels.narrow(0, 0, 2), 0), 0);
  c.cfg.BATCH_SIZE = 4;
  c.cfg.FG_FRACTION = 0.5;
  t = c.run(rng);
  EXPECT_EQ(t.num_fg, 2);
  EXPECT_EQ(t.rois.size(0), 4);
}

TEST(ProposalTargets, SeededRngGivesTheSameSample) {
  RoiCase c;
  c.cfg.BATCH_SIZE = 4;
  std::mt19937 a(9), b(9);
  const auto ta = c.run(a), tb = c.run(b);
  EXPECT_TRUE(torch::equal(ta.rois, tb.rois));
  EXPECT_TRUE(torch::equal(ta.bbox_targets, tb.bbox_targets));
  // Across seeds the 2 of 5 foreground rows differ at least once.
  bool differs = false;
  for (int s = 0; s < 20 && !differs; ++s) {
    std::mt19937 r(100 + s);
    differs = !torch::equal(c.run(r).rois, ta.rois);
  }
  EXPECT_TRUE(differs);
}

TEST(ProposalTargets, AgnosticTargetsUseColumnSetOne) {
  RoiCase c;
  c.cfg.AGNOSTIC = true;
  std::mt19937 rng(4);
  const auto t = c.run(rng);
  const auto w = t.inside_weights.view({-1, 8, 4});
  EXPECT_EQ(w.select(1, 1).narrow(0, 0, t.num_fg).sum().item<float>(), 4 * t.num_fg);
  EXPECT_EQ(w.sum().item<float>(), 4 * t.num_fg);
}

TEST(ProposalTargets, NoGtGivesOnlyBackground) {
  RoiCase c;
  std::mt19937 rng(4);
  const auto t = proposal_targets(c.proposals, torch::zeros({0, 4}), torch::zeros({0}, torch::kLong),
                                  torch::zeros({0, 16}, torch::kLong), 8, c.cfg, rng);
  EXPECT_EQ(t.num_fg, 0);
  EXPECT_EQ(t.rois.size(0), 5);
  EXPECT_EQ(count(t.labels, 0), 5);
  EXPECT_EQ(count(t.attributes, -1), 5 * 16);
  EXPECT_EQ(t.inside_weights.abs().sum().item<float>(), 0);
}

TEST(ProposalTargets, RejectsBadInputs) {
  RoiCase c;
  std::mt19937 rng(4);
  EXPECT_THROW(proposal_targets(c.proposals, c.gt, L({3, 8}), c.attrs, 8, c.cfg, rng), Error);  // class 8 of 8
  c.cfg.BATCH_SIZE = -1;
  EXPECT_THROW(c.run(rng), Error);
}

// ---------------------------------------------------------------- losses

// Finite-difference check of d f / d x in double.
void expect_gradient_matches(const std::function<torch::Tensor(const torch::Tensor&)>& f, torch::Tensor x) {
  x = x.to(torch::kDouble).detach().requires_grad_(true);
  const auto analytic = torch::autograd::grad({f(x)}, {x})[0];
  auto flat = x.detach().clone().view(-1);
  auto numeric = torch::zeros_like(flat);
  const double eps = 1e-6;
  for (int64_t i = 0; i < flat.numel(); ++i) {
    auto up = flat.clone(), down = flat.clone();
    up[i] += eps;
    down[i] -= eps;
    numeric[i] = (f(up.view_as(x)) - f(down.view_as(x))).item<double>() / (2 * eps);
  }
  EXPECT_TRUE(torch::allclose(analytic.view(-1), numeric, 1e-5, 1e-7)) << analytic << "\n" << numeric;
}

TEST(Losses, SmoothL1ByHand) {
  // sigma 1: x = 0.5 → 0.125 (quadratic); x = 2 → 1.5 (linear). sigma 3: x = 0.1 → 0.045; x = 0.2 → 0.2 - 1/18.
  const auto pred = torch::tensor({{0.5, 2.0}, {0.1, 0.2}}, torch::kDouble);
  const auto row = [&](int64_t r, double sigma) {
    const auto p = pred.narrow(0, r, 1), ones = torch::ones_like(p);
    return smooth_l1_loss(p, torch::zeros_like(p), ones, ones, sigma, 1).item<double>();
  };
  EXPECT_NEAR(row(0, 1), 0.125 + 1.5, 1e-12);
  EXPECT_NEAR(row(1, 3), 0.045 + 0.2 - 1.0 / 18, 1e-12);
  // Inside weights scale the difference before f, outside weights the result; then / normalizer.
  const auto in = torch::tensor({{4.0, 0.0}, {1.0, 1.0}}, torch::kDouble);
  const auto out = torch::tensor({{0.5, 1.0}, {0.0, 2.0}}, torch::kDouble);
  const auto targets = torch::tensor({{0.0, 5.0}, {3.0, 0.0}}, torch::kDouble);
  // (0.5 - 0) * 4 = 2 → 1.5 * 0.5; inside 0 → 0; outside 0 → 0; 0.2 → 0.02 * 2.
  EXPECT_NEAR(smooth_l1_loss(pred, targets, in, out, 1, 4).item<double>(), (0.75 + 0.04) / 4, 1e-12);
}

TEST(Losses, SmoothL1GradientIsCaffes) {
  const double sigma = 3, s2 = 9;
  const auto targets = torch::tensor({0.3, -0.2, 0.0, 1.0, 0.05, 0.0}, torch::kDouble);
  const auto in = torch::tensor({1.0, 1.0, 2.0, 0.0, 1.0, 1.0}, torch::kDouble);
  const auto out = torch::tensor({0.25, 0.5, 1.0, 1.0, 3.0, 0.0}, torch::kDouble);
  const auto pred = torch::tensor({0.31, 0.4, -0.03, 0.0, -0.5, 2.0}, torch::kDouble).requires_grad_(true);
  const auto g = torch::autograd::grad({smooth_l1_loss(pred, targets, in, out, sigma, 2)}, {pred})[0];
  // Caffe's backward: f'(d) * inside * outside / num, f'(d) = s2 * d inside the kink, sign(d) outside.
  const auto d = in * (pred.detach() - targets);
  const auto fprime = torch::where(d.abs() < 1 / s2, s2 * d, d.sign());
  EXPECT_TRUE(torch::allclose(g, fprime * in * out / 2));
  expect_gradient_matches([&](const torch::Tensor& p) { return smooth_l1_loss(p, targets, in, out, sigma, 2); },
                          pred.detach());
}

TEST(Losses, RpnDeltaRowsFollowTheAnchorOrder) {
  // [1, 4A, H, W] with A = 2, H = 2, W = 3: channel a*4+j at (y, x) → row (y*W + x)*A + a, column j.
  const auto d = torch::arange(1 * 8 * 2 * 3, torch::kFloat).view({1, 8, 2, 3});
  const auto rows = rpn_delta_rows(d);
  ASSERT_EQ(rows.sizes(), (std::vector<int64_t>{12, 4}));
  for (int64_t y = 0; y < 2; ++y)
    for (int64_t x = 0; x < 3; ++x)
      for (int64_t a = 0; a < 2; ++a)
        for (int64_t j = 0; j < 4; ++j)
          EXPECT_EQ(rows[(y * 3 + x) * 2 + a][j].item<float>(), d[0][a * 4 + j][y][x].item<float>());
}

TEST(Losses, RpnClassLossPairsChannelsAndIgnoresMinusOne) {
  // A = 2, H = 1, W = 2; labels in (y, x, a) order.
  const auto logits = torch::tensor({0.3, -1.0, 2.0, 0.5, -0.2, 1.5, 0.0, 0.7}, torch::kDouble).view({1, 4, 1, 2});
  const auto labels = L({1, -1, 0, 1});
  double want = 0;
  const std::vector<int64_t> lab = {1, -1, 0, 1};
  for (int64_t x = 0; x < 2; ++x)
    for (int64_t a = 0; a < 2; ++a) {
      const int64_t l = lab[x * 2 + a];
      if (l < 0) continue;
      const double bg = logits[0][a][0][x].item<double>(), fg = logits[0][2 + a][0][x].item<double>();
      want += -((l == 1 ? fg : bg) - std::log(std::exp(bg) + std::exp(fg)));
    }
  EXPECT_NEAR(rpn_class_loss(logits, labels).item<double>(), want / 3, 1e-12);
  // Only the channels of valid anchors get gradient: anchor (x=0, a=1) is ignored.
  auto x = logits.clone().requires_grad_(true);
  const auto g = torch::autograd::grad({rpn_class_loss(x, labels)}, {x})[0];
  EXPECT_EQ(g[0][1][0][0].item<double>(), 0);
  EXPECT_EQ(g[0][3][0][0].item<double>(), 0);
  EXPECT_NE(g[0][1][0][1].item<double>(), 0);
  expect_gradient_matches([&](const torch::Tensor& l) { return rpn_class_loss(l, labels); }, logits);
}

TEST(Losses, RpnClassLossNormalizesPerImage) {
  const auto logits = torch::randn({2, 4, 1, 2}, torch::kDouble);
  const auto labels = L({1, -1, -1, -1, 0, 1, 0, 1});
  const auto one = rpn_class_loss(logits.narrow(0, 0, 1), labels.narrow(0, 0, 4));
  const auto two = rpn_class_loss(logits.narrow(0, 1, 1), labels.narrow(0, 4, 4));
  EXPECT_NEAR(rpn_class_loss(logits, labels).item<double>(), (one + two).item<double>() / 2, 1e-12);
  // An image with every anchor ignored contributes 0, not NaN.
  EXPECT_EQ(rpn_class_loss(logits.narrow(0, 0, 1), L({-1, -1, -1, -1})).item<double>(), 0);
  EXPECT_THROW(rpn_class_loss(logits, L({2, 0, 0, 0, 0, 0, 0, 0})), Error);
}

TEST(Losses, RoiClassLossIsTheMean) {
  const auto logits = torch::tensor({{0.0, 0.0, 0.0, 0.0}, {1.0, 2.0, 3.0, 4.0}}, torch::kDouble);
  const double second = -(2.0 - std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0) + std::exp(4.0)));
  EXPECT_NEAR(roi_class_loss(logits, L({3, 1})).item<double>(), (std::log(4.0) + second) / 2, 1e-12);
  expect_gradient_matches([&](const torch::Tensor& l) { return roi_class_loss(l, L({3, 1})); }, logits);
}

TEST(Losses, AttributeLossByHandAndCaffesGradient) {
  const auto score = torch::tensor(
      {{0.1, 0.5, -0.3, 1.2, 0.0}, {2.0, -1.0, 0.3, 0.0, 0.4}, {0.7, 0.7, 0.1, -2.0, 1.0}, {0.2, 0.1, 0.0, 0.3, -0.4}},
      torch::kDouble);
  // Row 0: attributes 2, 3. Row 1: none (slot 0 = class 0). Row 2: nothing (background). Row 3: 4 twice.
  const auto raw = L({2, 3, 0, 0, 0, 0, 0, 0, -1, -1, -1, -1, 4, 4, 0, 0}).view({4, 4});
  const auto marked = L({2, 3, -1, -1, 0, -1, -1, -1, -1, -1, -1, -1, 4, 4, -1, -1}).view({4, 4});
  const auto lp = torch::log_softmax(score, 1);
  const double want =
      (-(lp[0][2] + lp[0][3]).item<double>() / 2 - lp[1][0].item<double>() - lp[3][4].item<double>()) / 3;
  EXPECT_NEAR(attribute_loss(score, raw).item<double>(), want, 1e-12);
  EXPECT_NEAR(attribute_loss(score, marked).item<double>(), want, 1e-12);

  // Caffe's Backward_cpu: (p - sum of one-hots / label_count) / rows with labels; 0 on label-less rows.
  auto x = score.clone().requires_grad_(true);
  const auto g = torch::autograd::grad({attribute_loss(x, marked)}, {x})[0];
  auto caffe = torch::softmax(score, 1);
  caffe[0][2] -= 0.5, caffe[0][3] -= 0.5, caffe[1][0] -= 1.0, caffe[3][4] -= 1.0;
  caffe[2] = 0;
  EXPECT_TRUE(torch::allclose(g, caffe / 3, 1e-10, 1e-12));
  expect_gradient_matches([&](const torch::Tensor& s) { return attribute_loss(s, marked); }, score);

  // No labelled row at all: 0 (Caffe's normalizer is at least 1).
  EXPECT_EQ(attribute_loss(score, torch::full({4, 4}, -1, torch::kLong)).item<double>(), 0);
  EXPECT_THROW(attribute_loss(score, torch::full({4, 4}, 5, torch::kLong)), Error);
}

TEST(Losses, AttributeLossOnProposalTargets) {
  // The loss takes proposal_targets' attribute rows as they come; background rows add nothing.
  RoiCase c;
  std::mt19937 rng(4);
  const auto t = c.run(rng);
  const auto score = torch::randn({t.rois.size(0), 8}, torch::kDouble);
  const auto fg = t.num_fg;
  EXPECT_NEAR(attribute_loss(score, t.attributes).item<double>(),
              attribute_loss(score.narrow(0, 0, fg), t.attributes.narrow(0, 0, fg)).item<double>(), 1e-12);
}

TEST(Losses, RpnLossesOnAnchorTargets) {
  // Predicting the targets exactly costs nothing in the box loss; the layouts agree end to end.
  const int64_t h = 38, w = 50, a = 12;
  GridCase g;
  std::mt19937 rng(6);
  const auto t = anchor_targets(g.anchors, g.gt, 600, 800, rpn_config(256), rng);
  const auto deltas = t.bbox_targets.view({1, h, w, 4 * a}).permute({0, 3, 1, 2}).contiguous();
  EXPECT_TRUE(torch::equal(rpn_delta_rows(deltas), t.bbox_targets));
  EXPECT_EQ(
      smooth_l1_loss(rpn_delta_rows(deltas), t.bbox_targets, t.inside_weights, t.outside_weights, 3, 1).item<float>(),
      0);
  const auto zero_pred = torch::zeros_like(t.bbox_targets);
  EXPECT_GT(smooth_l1_loss(zero_pred, t.bbox_targets, t.inside_weights, t.outside_weights, 3, 1).item<float>(), 0);
  // Logits that put all mass on each label's class give ~0 classification loss.
  auto logits = torch::zeros({1, 2 * a, h, w});
  const auto lab = t.labels.view({h, w, a}).permute({2, 0, 1});  // [A, H, W]
  logits[0].narrow(0, a, a).masked_fill_(lab == 1, 30);
  logits[0].narrow(0, 0, a).masked_fill_(lab == 0, 30);
  EXPECT_LT(rpn_class_loss(logits, t.labels).item<float>(), 1e-10);
  EXPECT_NEAR(rpn_class_loss(torch::zeros({1, 2 * a, h, w}), t.labels).item<float>(), std::log(2.0), 1e-6);
}

}  // namespace
}  // namespace bua
