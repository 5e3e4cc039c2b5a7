// Scoring a saved detections file against a saved ground truth without the network: the library side of
// `test_net --rescore DETECTIONS.json --gt GT.json [--out DIR] [--json]`.
#pragma once
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <ostream>
#include <string>

#include "bua/eval/vg_evaluator.h"

namespace bua {

struct RescoreOptions {
  std::string detections_path;  // detections.json layout (objects and/or attributes)
  std::string gt_path;          // gt.json layout
  std::string out_dir;          // when set: thresholds files, AP lists and eval_<split>.json go here
  std::string split = "val";    // names the files, as the original's image set does
  bool json = false;            // print the result JSON instead of the summary lines
  EvalOptions eval;
};

struct RescoreResult {
  std::optional<TaskEval> objects;     // when the detections file has "objects"
  std::optional<TaskEval> attributes;  // when it has "attributes"
};

// The JSON of expected.json: {"objects": ..., "attributes": ...} for the tasks present.
nlohmann::json rescore_result_to_json(const RescoreResult& result);

// Loads both files, evaluates every task the detections file holds, prints to `out` and writes the
// files. Throws bua::Error on any problem (a tool prints it and exits non-zero).
RescoreResult rescore(const RescoreOptions& options, std::ostream& out);

}  // namespace bua
