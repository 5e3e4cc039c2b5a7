#include "bua/eval/vg_evaluator.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>

#include "bua/eval/numpy_compat.h"
#include "bua/eval/results_text.h"
#include "bua/eval/voc_ap.h"
#include "bua/util/error.h"

namespace bua {
namespace {

using GtBoxes = std::vector<std::vector<std::array<double, 4>>>;

// The gt boxes that count for class `c`, per image, in box order.
GtBoxes gt_boxes_of(const VgGroundTruth& gt, int c, EvalTask task, int64_t* npos) {
  GtBoxes out(gt.images.size());
  *npos = 0;
  for (size_t i = 0; i < gt.images.size(); ++i) {
    const VgGtImage& im = gt.images[i];
    for (size_t b = 0; b < im.boxes.size(); ++b) {
      bool counts = task == EvalTask::kObjects
                        ? im.classes[b] == c
                        : std::find(im.attributes[b].begin(), im.attributes[b].end(), c) != im.attributes[b].end();
      if (!counts) continue;
      const auto& xy = im.boxes[b];
      out[i].push_back({double(xy[0]), double(xy[1]), double(xy[2]), double(xy[3])});
      ++*npos;
    }
  }
  return out;
}

// np.nan_to_num((prec * rec) / (prec + rec)), then the score at its first maximum.
double best_f_score_threshold(const PrCurve& curve) {
  double best = 0;
  size_t best_at = 0;
  for (size_t k = 0; k < curve.scores.size(); ++k) {
    const double p = curve.precision[k], r = curve.recall[k];
    double f = (p * r) / (p + r);
    if (std::isnan(f))
      f = 0.0;
    else if (std::isinf(f))
      f = f > 0 ? std::numeric_limits<double>::max() : -std::numeric_limits<double>::max();
    if (k == 0 || f > best) {
      best = f;
      best_at = k;
    }
  }
  return curve.scores[best_at];
}

void check_table_shape(const VgGroundTruth& gt, const DetectionTable& table, EvalTask task) {
  const auto& names = task == EvalTask::kObjects ? gt.classes : gt.attributes;
  const std::string where = std::string(eval_task_name(task)) + " detections";
  if (table.size() != names.size()) {
    fail(where, std::to_string(table.size()) + " rows for " + std::to_string(names.size()) + " names");
  }
  for (size_t c = 1; c < table.size(); ++c) {
    if (!table[c].empty() && table[c].size() != gt.images.size()) {
      fail(where, names[c] + ": " + std::to_string(table[c].size()) + " images for " +
                      std::to_string(gt.images.size()) + " in the ground truth");
    }
  }
}

}  // namespace

const char* eval_task_name(EvalTask task) { return task == EvalTask::kObjects ? "objects" : "attributes"; }

TaskEval evaluate_vg(const VgGroundTruth& gt, const DetectionTable& table, EvalTask task, const EvalOptions& options) {
  validate_vg_ground_truth(gt, "ground truth");
  check_table_shape(gt, table, task);
  const auto& names = task == EvalTask::kObjects ? gt.classes : gt.attributes;

  TaskEval result;
  result.task = task;
  std::vector<double> aps, nposs, thresholds;
  bool any_computed = false;  // a class has an argmax-F threshold (even one reading 0.000)
  for (size_t c = 1; c < names.size(); ++c) {
    ClassEval ce;
    ce.index = static_cast<int>(c);
    ce.name = names[c];
    const GtBoxes boxes = gt_boxes_of(gt, ce.index, task, &ce.npos);

    // The results file lists images in evaluation order, each image's detections in their order.
    std::vector<RankedDetection> dets;
    if (!table[c].empty()) {
      for (size_t i = 0; i < table[c].size(); ++i) {
        for (const EvalDetection& raw : table[c][i]) {
          const EvalDetection d = options.results_text_round_trip ? through_results_text(raw) : raw;
          dets.push_back({static_cast<int64_t>(i), d.x1, d.y1, d.x2, d.y2, d.score});
        }
      }
    }

    double threshold = 0;  // 0 = "no threshold of its own", replaced by the mean below
    if (ce.npos > 0 && !dets.empty()) {
      PrCurve curve = voc_pr_curve(boxes, dets, ce.npos, options.iou_threshold);
      ce.ap = voc_ap(curve.recall, curve.precision);
      if (ce.npos > 1) {
        threshold = best_f_score_threshold(curve);
        any_computed = true;
      }
      ce.recall = std::move(curve.recall);
      ce.precision = std::move(curve.precision);
      ce.scores = std::move(curve.scores);
    }
    aps.push_back(ce.ap);
    nposs.push_back(static_cast<double>(ce.npos));
    thresholds.push_back(threshold);
    result.per_class.push_back(std::move(ce));
  }

  // A threshold of exactly 0 (none, or a best score that reads 0.000) becomes the mean of the others.
  std::vector<double> nonzero;
  for (double t : thresholds) {
    if (t != 0) nonzero.push_back(t);
  }
  result.mean_threshold = numpy_mean(nonzero);
  // The original collects the thresholds in a list holding the int 0 for a class without one. When no
  // class has one, np.array makes that list int64, and the NaN mean stored into it becomes what x86
  // turns a NaN into as int64: INT64_MIN. Those are the thresholds it writes then.
  const double replacement = any_computed ? result.mean_threshold : static_cast<double>(INT64_MIN);
  for (size_t k = 0; k < thresholds.size(); ++k) {
    result.per_class[k].threshold = thresholds[k] == 0 ? replacement : thresholds[k];
  }

  result.mean_ap = numpy_mean(aps);
  // weights = npos / sum(npos); np.average(aps, weights) = sum(aps * weights) / sum(weights).
  const double total = numpy_sum(nposs);
  std::vector<double> weights(nposs.size()), weighted(nposs.size());
  for (size_t k = 0; k < nposs.size(); ++k) {
    weights[k] = nposs[k] / total;
    weighted[k] = aps[k] * weights[k];
  }
  result.weighted_mean_ap = numpy_sum(weighted) / numpy_sum(weights);
  return result;
}

}  // namespace bua
