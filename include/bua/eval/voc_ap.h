// PASCAL VOC scoring of one class, as the original's vg_eval + voc_ap compute it: detections ranked by
// score, each matched greedily to the unclaimed gt box of its image that it overlaps most, a match
// needing IoU > threshold (strictly) with +1 box widths; a second detection of a claimed box is a false
// positive. AP is the area under the precision envelope (VOC2010+, not the 11-point VOC2007 rule).
#pragma once
#include <array>
#include <cstdint>
#include <vector>

namespace bua {

// A detection of the class, with the position of its image in the evaluation order.
struct RankedDetection {
  int64_t image = 0;
  double x1 = 0, y1 = 0, x2 = 0, y2 = 0;
  double score = 0;
};

struct PrCurve {
  // One entry per detection, in the ranked order: cumulative recall and precision, and the score.
  std::vector<double> recall;
  std::vector<double> precision;
  std::vector<double> scores;  // descending
  std::vector<bool> true_positive;
};

// IoU of two boxes with the original's +1 widths, in its operation order (float64). NaN if the union is
// 0 and the intersection too (degenerate boxes).
double voc_iou(const std::array<double, 4>& a, const std::array<double, 4>& b);

// Ranks `dets` (given in the original's file order: images in evaluation order, then in-image order) the
// way np.argsort(-score) does, then matches them to `gt[image]`. `npos` is the number of gt boxes over
// all images (> 0).
PrCurve voc_pr_curve(const std::vector<std::vector<std::array<double, 4>>>& gt,
                     const std::vector<RankedDetection>& dets, int64_t npos, double iou_threshold);

// Area under the precision envelope of a recall/precision curve (voc_ap with use_07_metric=False).
double voc_ap(const std::vector<double>& recall, const std::vector<double>& precision);

}  // namespace bua
