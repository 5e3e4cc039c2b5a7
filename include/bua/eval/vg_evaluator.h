// The Visual Genome evaluation of the original (vg.py _do_python_eval over vg_eval.py): per class AP,
// the per-class detection threshold that maximises F, and the means over classes. Objects are scored
// against gt boxes of that class; attributes against every gt box that carries the attribute.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "bua/eval/vg_eval_data.h"

namespace bua {

enum class EvalTask { kObjects, kAttributes };

const char* eval_task_name(EvalTask task);  // "objects" / "attributes"

struct EvalOptions {
  double iou_threshold = 0.5;  // a match needs IoU strictly above this
  // Score what the original reads back from its results text (scores to 3 decimals, boxes +1 to 1
  // decimal). Off only to study the effect: the published numbers include it.
  bool results_text_round_trip = true;
};

struct ClassEval {
  int index = 0;
  std::string name;
  double ap = 0;
  int64_t npos = 0;  // gt boxes of the class
  // argmax-F score; a class with npos <= 1, without detections, or whose best score reads 0.000 gets
  // the mean of the others' thresholds (see TaskEval::mean_threshold).
  double threshold = 0;
  // The PR curve in ranked order (the original's <class>_pr.pkl); empty without gt or detections.
  std::vector<double> recall, precision, scores;
};

struct TaskEval {
  EvalTask task = EvalTask::kObjects;
  std::vector<ClassEval> per_class;  // classes 1..n-1 in index order
  // Mean of every class's AP, those without gt or detections included (they count as 0).
  double mean_ap = 0;
  // AP weighted by npos (classes without gt weigh nothing). NaN when no class has gt.
  double weighted_mean_ap = 0;
  // Mean of the nonzero argmax-F thresholds; NaN when there are none. Then the classes' thresholds are
  // NaN too, or, when no class had an argmax-F threshold at all, -2^63 (the original's int64 quirk).
  double mean_threshold = 0;
};

// Scores `table` (rows = gt.classes or gt.attributes, see DetectionTable) against `gt`. Throws
// bua::Error when the table's shape does not fit the ground truth.
//
// Where the original fails, we choose: a class with npos > 1 and no detections raises
// ZeroDivisionError there (0/0 on Python ints); here its AP is 0 and its threshold is the mean one.
TaskEval evaluate_vg(const VgGroundTruth& gt, const DetectionTable& table, EvalTask task,
                     const EvalOptions& options = {});

}  // namespace bua
