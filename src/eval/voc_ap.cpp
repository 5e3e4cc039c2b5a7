#include "bua/eval/voc_ap.h"

#include <cmath>
#include <limits>

#include "bua/eval/numpy_compat.h"
#include "bua/util/error.h"

namespace bua {

double voc_iou(const std::array<double, 4>& g, const std::array<double, 4>& b) {
  const double ixmin = numpy_maximum(g[0], b[0]);
  const double iymin = numpy_maximum(g[1], b[1]);
  const double ixmax = numpy_minimum(g[2], b[2]);
  const double iymax = numpy_minimum(g[3], b[3]);
  const double iw = numpy_maximum(ixmax - ixmin + 1.0, 0.0);
  const double ih = numpy_maximum(iymax - iymin + 1.0, 0.0);
  const double inters = iw * ih;
  const double uni = (b[2] - b[0] + 1.0) * (b[3] - b[1] + 1.0) + (g[2] - g[0] + 1.0) * (g[3] - g[1] + 1.0) - inters;
  return inters / uni;
}

PrCurve voc_pr_curve(const std::vector<std::vector<std::array<double, 4>>>& gt,
                     const std::vector<RankedDetection>& dets, int64_t npos, double iou_threshold) {
  if (npos <= 0) fail("voc_pr_curve", "no gt boxes (npos = " + std::to_string(npos) + ")");
  std::vector<double> negated(dets.size());
  for (size_t k = 0; k < dets.size(); ++k) negated[k] = -dets[k].score;
  const std::vector<int64_t> order = numpy_argsort(negated);

  std::vector<std::vector<bool>> claimed(gt.size());
  for (size_t i = 0; i < gt.size(); ++i) claimed[i].assign(gt[i].size(), false);

  PrCurve curve;
  const size_t nd = dets.size();
  curve.recall.resize(nd);
  curve.precision.resize(nd);
  curve.scores.resize(nd);
  curve.true_positive.resize(nd);
  double tp = 0, fp = 0;  // np.cumsum: a running float64 sum
  for (size_t d = 0; d < nd; ++d) {
    const RankedDetection& det = dets[order[d]];
    if (det.image < 0 || det.image >= static_cast<int64_t>(gt.size())) {
      fail("voc_pr_curve", "detection of image position " + std::to_string(det.image) + " outside the " +
                               std::to_string(gt.size()) + " images");
    }
    const auto& boxes = gt[det.image];
    const std::array<double, 4> bb{det.x1, det.y1, det.x2, det.y2};
    // np.max / np.argmax over the overlaps: a NaN wins both (and then fails the threshold test).
    double ovmax = -std::numeric_limits<double>::infinity();
    size_t jmax = 0;
    for (size_t j = 0; j < boxes.size(); ++j) {
      const double ov = voc_iou(boxes[j], bb);
      if (std::isnan(ov)) {
        ovmax = ov;
        jmax = j;
        break;
      }
      if (j == 0 || ov > ovmax) {
        ovmax = ov;
        jmax = j;
      }
    }
    bool hit = false;
    if (ovmax > iou_threshold && !claimed[det.image][jmax]) {
      claimed[det.image][jmax] = true;
      hit = true;
    }
    if (hit) {
      tp += 1.0;
    } else {
      fp += 1.0;
    }
    curve.true_positive[d] = hit;
    curve.scores[d] = det.score;
    curve.recall[d] = tp / static_cast<double>(npos);
    curve.precision[d] = tp / numpy_maximum(tp + fp, std::numeric_limits<double>::epsilon());
  }
  return curve;
}

double voc_ap(const std::vector<double>& recall, const std::vector<double>& precision) {
  if (recall.size() != precision.size()) fail("voc_ap", "recall and precision differ in length");
  // Sentinels: recall 0 .. 1, precision 0 at both ends.
  std::vector<double> mrec{0.0}, mpre{0.0};
  mrec.insert(mrec.end(), recall.begin(), recall.end());
  mpre.insert(mpre.end(), precision.begin(), precision.end());
  mrec.push_back(1.0);
  mpre.push_back(0.0);
  // Precision envelope: the best precision at this recall or any higher one.
  for (size_t i = mpre.size() - 1; i > 0; --i) mpre[i - 1] = numpy_maximum(mpre[i - 1], mpre[i]);
  // Sum of (recall step) * envelope where the recall changes, in NumPy's summation order.
  std::vector<double> terms;
  for (size_t i = 0; i + 1 < mrec.size(); ++i) {
    if (mrec[i + 1] != mrec[i]) terms.push_back((mrec[i + 1] - mrec[i]) * mpre[i + 1]);
  }
  return numpy_sum(terms);
}

}  // namespace bua
