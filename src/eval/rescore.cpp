#include "bua/eval/rescore.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "bua/eval/eval_report.h"
#include "bua/eval/vg_eval_data.h"
#include "bua/util/atomic_file.h"
#include "bua/util/error.h"

namespace bua {

nlohmann::json rescore_result_to_json(const RescoreResult& result) {
  nlohmann::json out = nlohmann::json::object();
  if (result.objects) out["objects"] = task_eval_to_json(*result.objects);
  if (result.attributes) out["attributes"] = task_eval_to_json(*result.attributes);
  return out;
}

RescoreResult rescore(const RescoreOptions& options, std::ostream& out) {
  if (options.gt_path.empty()) fail("rescore", "no ground truth file given (--gt)");
  if (options.detections_path.empty()) fail("rescore", "no detections file given");
  const VgGroundTruth gt = load_vg_ground_truth(options.gt_path);
  const VgDetections dets = load_vg_detections(options.detections_path, gt);

  RescoreResult result;
  if (dets.objects) result.objects = evaluate_vg(gt, *dets.objects, EvalTask::kObjects, options.eval);
  if (dets.attributes) result.attributes = evaluate_vg(gt, *dets.attributes, EvalTask::kAttributes, options.eval);

  const nlohmann::json doc = rescore_result_to_json(result);
  if (options.json) {
    out << doc.dump(1) << "\n";
  } else {
    for (const auto* task : {&result.objects, &result.attributes}) {
      if (!*task) continue;
      out << "Evaluating " << eval_task_name((*task)->task) << "\n";
      print_vg_summary(**task, out);
      out << "\n";
    }
  }
  if (!options.out_dir.empty()) {
    for (const auto* task : {&result.objects, &result.attributes}) {
      if (*task) write_vg_eval_files(**task, options.out_dir, options.split);
    }
    std::error_code ec;
    std::filesystem::create_directories(options.out_dir, ec);
    if (ec) fail(options.out_dir, "cannot create the output directory: " + ec.message());
    write_file_atomic((std::filesystem::path(options.out_dir) / ("eval_" + options.split + ".json")).string(),
                      doc.dump(1) + "\n");
  }
  return result;
}

}  // namespace bua
