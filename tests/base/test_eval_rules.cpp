// The evaluation rules of the original, one small hand-made case each. Detections pass through the
// results text, so a detection meant to sit at (x1, y1, x2, y2) is given as (x1-1, y1-1, x2-1, y2-1).
#include <gtest/gtest.h>

#include <cmath>

#include "bua/eval/vg_evaluator.h"
#include "bua/eval/voc_ap.h"
#include "bua/util/error.h"

namespace bua {
namespace {

struct Case {
  VgGroundTruth gt;
  DetectionTable objects;
  DetectionTable attributes;

  explicit Case(int num_classes, int num_attributes = 1) {
    gt.classes.push_back("__background__");
    for (int c = 1; c < num_classes; ++c) gt.classes.push_back("c" + std::to_string(c));
    gt.attributes.push_back("__no_attribute__");
    for (int a = 1; a < num_attributes; ++a) gt.attributes.push_back("a" + std::to_string(a));
  }
  // Adds an image; returns its position.
  size_t image(int64_t id) {
    gt.images.push_back({id, 100, 100, {}, {}, {}});
    objects = make_detection_table(gt.classes.size(), gt.images.size());
    attributes = make_detection_table(gt.attributes.size(), gt.images.size());
    return gt.images.size() - 1;
  }
  void box(size_t im, std::array<int, 4> xyxy, int cls, std::vector<int> attrs = {}) {
    gt.images[im].boxes.push_back(xyxy);
    gt.images[im].classes.push_back(cls);
    gt.images[im].attributes.push_back(std::move(attrs));
  }
  // A detection meant to be scored at `xyxy` (the results text adds 1 to each coordinate).
  void det(size_t im, int cls, std::array<double, 4> xyxy, double score) {
    objects[cls][im].push_back({xyxy[0] - 1, xyxy[1] - 1, xyxy[2] - 1, xyxy[3] - 1, score});
  }
  TaskEval eval(EvalOptions options = {}) const { return evaluate_vg(gt, objects, EvalTask::kObjects, options); }
};

TEST(VgEvalRules, DuplicateDetectionIsFalsePositive) {
  Case k(2);
  size_t im = k.image(1);
  k.box(im, {0, 0, 9, 9}, 1);
  k.box(im, {50, 50, 59, 59}, 1);
  k.det(im, 1, {0, 0, 9, 9}, 0.9);
  k.det(im, 1, {0, 0, 9, 9}, 0.8);  // the same gt box again
  k.det(im, 1, {50, 50, 59, 59}, 0.7);
  const ClassEval c = k.eval().per_class[0];
  // tp, fp, tp: recall .5 .5 1, precision 1 .5 2/3 -> AP = .5 * 1 + .5 * 2/3.
  EXPECT_EQ(c.npos, 2);
  EXPECT_NEAR(c.ap, 0.5 + 0.5 * (2.0 / 3.0), 1e-12);
  EXPECT_EQ(c.precision, (std::vector<double>{1.0, 0.5, 2.0 / 3.0}));
}

TEST(VgEvalRules, IouExactlyHalfIsNoMatch) {
  // Scored box [0,0,9,4] on gt [0,0,9,9]: 50 / 100 with +1 widths.
  EXPECT_EQ(voc_iou({0, 0, 9, 9}, {0, 0, 9, 4}), 0.5);
  Case half(2);
  size_t im = half.image(1);
  half.box(im, {0, 0, 9, 9}, 1);
  half.det(im, 1, {0, 0, 9, 4}, 0.9);
  EXPECT_EQ(half.eval().per_class[0].ap, 0.0);

  Case above(2);  // [0,0,9,5]: 60 / 100
  im = above.image(1);
  above.box(im, {0, 0, 9, 9}, 1);
  above.det(im, 1, {0, 0, 9, 5}, 0.9);
  EXPECT_EQ(above.eval().per_class[0].ap, 1.0);
}

TEST(VgEvalRules, WidthsCountBothEndPixels) {
  // A one-pixel box has area 1, so it matches itself (without +1 it would be 0 / 0).
  EXPECT_EQ(voc_iou({3, 3, 3, 3}, {3, 3, 3, 3}), 1.0);
  // [0,0,1,1] vs [1,1,2,2]: 1 shared pixel of 4 + 4 - 1.
  EXPECT_EQ(voc_iou({0, 0, 1, 1}, {1, 1, 2, 2}), 1.0 / 7.0);
  Case k(2);
  size_t im = k.image(1);
  k.box(im, {3, 3, 3, 3}, 1);
  k.det(im, 1, {3, 3, 3, 3}, 0.9);
  EXPECT_EQ(k.eval().per_class[0].ap, 1.0);
}

// The original scores shifted detections against unshifted gt: a detection given exactly on a small gt
// box misses it.
TEST(VgEvalRules, ResultsTextShiftsDetectionsNotGt) {
  Case k(2);
  size_t im = k.image(1);
  k.box(im, {0, 0, 1, 1}, 1);
  k.objects[1][im].push_back({0, 0, 1, 1, 0.9});
  EXPECT_EQ(k.eval().per_class[0].ap, 0.0);
  EvalOptions raw;
  raw.results_text_round_trip = false;
  EXPECT_EQ(k.eval(raw).per_class[0].ap, 1.0);
}

TEST(VgEvalRules, ScoresRoundedToThreeDecimalsTie) {
  // Raw scores put the false positive first; at 3 decimals they tie and the short-run sort keeps file
  // order, which puts the true positive first.
  Case k(2);
  size_t im = k.image(1);
  k.box(im, {0, 0, 9, 9}, 1);
  k.box(im, {50, 50, 59, 59}, 1);
  k.det(im, 1, {0, 0, 9, 9}, 0.9001);      // tp
  k.det(im, 1, {20, 20, 29, 29}, 0.9004);  // fp
  k.det(im, 1, {50, 50, 59, 59}, 0.5);     // tp
  EXPECT_NEAR(k.eval().per_class[0].ap, 0.5 + 0.5 * (2.0 / 3.0), 1e-12);
  EXPECT_EQ(k.eval().per_class[0].scores, (std::vector<double>{0.9, 0.9, 0.5}));
  EvalOptions raw;
  raw.results_text_round_trip = false;
  EXPECT_NEAR(k.eval(raw).per_class[0].ap, 2.0 / 3.0, 1e-12);  // envelope: 2/3 from recall 0 on
}

// 20 detections that all read 0.500: the ranking among them is NumPy's quicksort order, neither file
// order (AP 0.5) nor raw-score order (AP 1). 0.8111... is what the original computes on this input.
TEST(VgEvalRules, LongTiesFollowNumpyOrder) {
  Case k(2);
  size_t im = k.image(1);
  for (int b = 0; b < 10; ++b) k.box(im, {20 * b, 0, 20 * b + 9, 9}, 1);
  for (int d = 0; d < 10; ++d) k.det(im, 1, {6, 31, 16, 41}, 0.5 - 0.0001 * (d % 4));  // fp
  for (int d = 10; d < 20; ++d) {
    const double x = 20.0 * (d - 10);
    k.det(im, 1, {x, 0, x + 9, 9}, 0.5 + 0.0001 * (d % 3));  // tp
  }
  const ClassEval c = k.eval().per_class[0];
  EXPECT_EQ(c.ap, 0.8111111111111111);
  EXPECT_EQ(c.threshold, 0.5);
}

TEST(VgEvalRules, ClassWithoutGtCountsAsZeroInTheMean) {
  Case k(3);
  size_t im = k.image(1);
  k.box(im, {0, 0, 9, 9}, 1);
  k.box(im, {50, 50, 59, 59}, 1);
  k.det(im, 1, {0, 0, 9, 9}, 0.8);
  k.det(im, 1, {50, 50, 59, 59}, 0.6);
  k.det(im, 2, {0, 0, 9, 9}, 0.7);  // class 2 has no gt
  const TaskEval e = k.eval();
  EXPECT_EQ(e.per_class[0].ap, 1.0);
  EXPECT_EQ(e.per_class[1].npos, 0);
  EXPECT_EQ(e.per_class[1].ap, 0.0);
  EXPECT_TRUE(e.per_class[1].recall.empty());
  EXPECT_EQ(e.mean_ap, 0.5);           // (1 + 0) / 2
  EXPECT_EQ(e.weighted_mean_ap, 1.0);  // weight 0 for the class without gt
  EXPECT_EQ(e.per_class[0].threshold, 0.6);
  EXPECT_EQ(e.per_class[1].threshold, 0.6);  // the mean of the others
  EXPECT_EQ(e.mean_threshold, 0.6);
}

TEST(VgEvalRules, ClassWithoutDetectionsScoresZero) {
  Case k(3);
  size_t im = k.image(1);
  k.box(im, {0, 0, 9, 9}, 1);
  k.box(im, {20, 20, 29, 29}, 1);
  k.box(im, {50, 50, 59, 59}, 2);
  k.box(im, {70, 70, 79, 79}, 2);
  k.det(im, 1, {0, 0, 9, 9}, 0.8);
  k.det(im, 1, {20, 20, 29, 29}, 0.4);
  const TaskEval e = k.eval();
  EXPECT_EQ(e.per_class[1].ap, 0.0);
  EXPECT_EQ(e.per_class[1].npos, 2);
  EXPECT_EQ(e.per_class[1].threshold, 0.4);
  EXPECT_EQ(e.mean_ap, 0.5);
  EXPECT_EQ(e.weighted_mean_ap, 0.5);
}

TEST(VgEvalRules, ThresholdMaximisesF) {
  // fp .9, tp .8, tp .7, fp .6 with 2 gt: F peaks at the .7 detection.
  Case k(2);
  size_t im = k.image(1);
  k.box(im, {0, 0, 9, 9}, 1);
  k.box(im, {50, 50, 59, 59}, 1);
  k.det(im, 1, {20, 20, 29, 29}, 0.9);
  k.det(im, 1, {0, 0, 9, 9}, 0.8);
  k.det(im, 1, {50, 50, 59, 59}, 0.7);
  k.det(im, 1, {80, 80, 89, 89}, 0.6);
  const ClassEval c = k.eval().per_class[0];
  EXPECT_EQ(c.threshold, 0.7);
  EXPECT_NEAR(c.ap, 2.0 / 3.0, 1e-12);
}

TEST(VgEvalRules, SingleGtClassTakesTheMeanThreshold) {
  Case k(4);
  size_t im = k.image(1);
  k.box(im, {0, 0, 9, 9}, 1);
  k.box(im, {20, 20, 29, 29}, 1);
  k.box(im, {0, 0, 9, 9}, 2);
  k.box(im, {20, 20, 29, 29}, 2);
  k.box(im, {50, 50, 59, 59}, 3);  // npos = 1
  k.det(im, 1, {0, 0, 9, 9}, 0.9);
  k.det(im, 1, {20, 20, 29, 29}, 0.3);
  k.det(im, 2, {0, 0, 9, 9}, 0.2);
  k.det(im, 2, {20, 20, 29, 29}, 0.1);
  k.det(im, 3, {50, 50, 59, 59}, 0.95);
  const TaskEval e = k.eval();
  EXPECT_EQ(e.per_class[0].threshold, 0.3);
  EXPECT_EQ(e.per_class[1].threshold, 0.1);
  EXPECT_EQ(e.per_class[2].ap, 1.0);
  EXPECT_EQ(e.mean_threshold, (0.3 + 0.1) / 2);
  EXPECT_EQ(e.per_class[2].threshold, e.mean_threshold);  // not its own 0.95
}

TEST(VgEvalRules, ThresholdReadingZeroIsReplacedByTheMean) {
  Case k(3);
  size_t im = k.image(1);
  for (int c = 1; c <= 2; ++c) {
    k.box(im, {0, 0, 9, 9}, c);
    k.box(im, {20, 20, 29, 29}, c);
    k.det(im, c, {0, 0, 9, 9}, c == 1 ? 0.4 : 0.0002);  // 0.0002 reads 0.000
    k.det(im, c, {20, 20, 29, 29}, c == 1 ? 0.2 : 0.0001);
  }
  const TaskEval e = k.eval();
  EXPECT_EQ(e.mean_threshold, 0.2);
  EXPECT_EQ(e.per_class[1].threshold, 0.2);
}

// When no class has a threshold of its own, the original's list of thresholds holds only int 0s, NumPy
// makes it an int64 array, and the NaN mean stored into it reads back as INT64_MIN.
TEST(VgEvalRules, NoThresholdAnywhereGivesTheInt64Quirk) {
  Case k(2);
  size_t im = k.image(1);
  k.box(im, {0, 0, 9, 9}, 1);
  k.det(im, 1, {0, 0, 9, 9}, 0.9);
  const TaskEval e = k.eval();
  EXPECT_EQ(e.per_class[0].ap, 1.0);
  EXPECT_TRUE(std::isnan(e.mean_threshold));
  EXPECT_EQ(e.per_class[0].threshold, -9223372036854775808.0);
}

// With an argmax-F threshold that reads 0.000 the list holds a float, the array is float64, and the
// classes get the NaN mean.
TEST(VgEvalRules, OnlyZeroThresholdsGiveNan) {
  Case k(3);
  size_t im = k.image(1);
  k.box(im, {0, 0, 9, 9}, 1);
  k.box(im, {20, 20, 29, 29}, 1);
  k.det(im, 1, {0, 0, 9, 9}, 0.0002);
  k.det(im, 1, {20, 20, 29, 29}, 0.0001);
  k.box(im, {50, 50, 59, 59}, 2);  // npos 1
  k.det(im, 2, {50, 50, 59, 59}, 0.9);
  const TaskEval e = k.eval();
  EXPECT_TRUE(std::isnan(e.mean_threshold));
  EXPECT_TRUE(std::isnan(e.per_class[0].threshold));
  EXPECT_TRUE(std::isnan(e.per_class[1].threshold));
}

TEST(VgEvalRules, DetectionInImageWithoutGtIsFalsePositive) {
  Case k(2);
  size_t a = k.image(1);
  size_t b = k.image(2);
  k.box(a, {0, 0, 9, 9}, 1);
  k.det(b, 1, {0, 0, 9, 9}, 0.9);  // image 2 has no gt of the class
  k.det(a, 1, {0, 0, 9, 9}, 0.8);
  EXPECT_NEAR(k.eval().per_class[0].ap, 0.5, 1e-12);
}

TEST(VgEvalRules, AttributesScoreEveryGtBoxCarryingThem) {
  Case k(2, 4);
  size_t im = k.image(1);
  k.box(im, {0, 0, 9, 9}, 1, {1, 2});
  k.box(im, {20, 20, 29, 29}, 1, {2, 2});  // listed twice, counted once
  k.box(im, {50, 50, 59, 59}, 1, {});
  auto attr = [&](int a, std::array<double, 4> xyxy, double score) {
    k.attributes[a][im].push_back({xyxy[0] - 1, xyxy[1] - 1, xyxy[2] - 1, xyxy[3] - 1, score});
  };
  attr(1, {0, 0, 9, 9}, 0.7);
  attr(1, {20, 20, 29, 29}, 0.9);  // the box does not carry attribute 1
  attr(2, {0, 0, 9, 9}, 0.6);
  attr(2, {20, 20, 29, 29}, 0.5);
  const TaskEval e = evaluate_vg(k.gt, k.attributes, EvalTask::kAttributes);
  ASSERT_EQ(e.per_class.size(), 3u);
  EXPECT_EQ(e.per_class[0].npos, 1);
  EXPECT_EQ(e.per_class[0].ap, 0.5);
  EXPECT_EQ(e.per_class[1].npos, 2);
  EXPECT_EQ(e.per_class[1].ap, 1.0);
  EXPECT_EQ(e.per_class[2].npos, 0);
  EXPECT_EQ(e.mean_ap, 0.5);
  EXPECT_EQ(e.weighted_mean_ap, (0.5 * (1.0 / 3) + 1.0 * (2.0 / 3)) / (1.0 / 3 + 2.0 / 3));
}

TEST(VgEvalRules, TableShapeMustFitGroundTruth) {
  Case k(3);
  k.image(1);
  DetectionTable wrong_rows = make_detection_table(2, 1);
  EXPECT_THROW(evaluate_vg(k.gt, wrong_rows, EvalTask::kObjects), Error);
  DetectionTable wrong_images = make_detection_table(3, 2);
  EXPECT_THROW(evaluate_vg(k.gt, wrong_images, EvalTask::kObjects), Error);
  DetectionTable empty_rows(3);  // rows may be left empty
  EXPECT_EQ(evaluate_vg(k.gt, empty_rows, EvalTask::kObjects).mean_ap, 0.0);
}

}  // namespace
}  // namespace bua
