// What the evaluation hands on: the JSON of tests/data/vg_eval/expected.json, the original's per-class
// thresholds file, a per-class AP list, and the summary lines the original prints.
#pragma once
#include <nlohmann/json_fwd.hpp>
#include <ostream>
#include <string>

#include "bua/eval/vg_evaluator.h"

namespace bua {

// {"per_class": [{"index", "name", "ap", "npos", "threshold"}, ...], "mean_ap", "weighted_mean_ap",
// "mean_threshold"}. Doubles are written so they read back exactly; NaN becomes null.
nlohmann::json task_eval_to_json(const TaskEval& eval);

// "object_thresholds_<split>.txt" / "attribute_thresholds_<split>.txt".
std::string thresholds_file_name(EvalTask task, const std::string& split);
// "object_ap_<split>.txt" / "attribute_ap_<split>.txt".
std::string ap_list_file_name(EvalTask task, const std::string& split);

// The original's thresholds file: one line per class in index order, "<name> <threshold %.3f>".
std::string thresholds_text(const TaskEval& eval);
// One line per class, "<index>\t<name>\t<ap>\t<npos>", the AP in shortest round-trip form.
std::string ap_list_text(const TaskEval& eval);

// The lines the original prints while it evaluates: "AP for <name> = <ap %.4f> (npos=<n with
// thousands commas>)" per class, then "Mean AP = %.4f", "Weighted Mean AP = %.4f", "Mean Detection
// Threshold = %.3f", and the "Results:" block ("<ap %.3f>\t<npos %.3f>" per class, the mean AP %.3f)
// between "~~~~~~~~" rules.
void print_vg_summary(const TaskEval& eval, std::ostream& out);

// Writes both files above into `dir` (created if missing), each through a temp file.
void write_vg_eval_files(const TaskEval& eval, const std::string& dir, const std::string& split);

}  // namespace bua
