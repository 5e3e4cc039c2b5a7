#include "bua/features/job.h"

#include <torch/torch.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>

#include "bua/features/stream.h"
#include "bua/util/atomic_file.h"
#include "bua/util/device_fault.h"
#include "bua/util/error.h"
#include "bua/util/failure_list.h"
#include "bua/util/log.h"
#include "bua/util/progress.h"

namespace bua {
namespace {

std::vector<std::string> ids_of(const std::vector<ImageEntry>& entries) {
  std::vector<std::string> ids;
  for (const auto& e : entries) ids.push_back(e.id);
  return ids;
}

}  // namespace

FeatureJobSummary run_feature_job(Detector& detector, const std::vector<ImageEntry>& entries,
                                  const FeatureJobOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  FeatureSinkOptions sink_options = o.sink;
  sink_options.resume = true;
  auto sink = open_feature_sink(o.format, o.out, sink_options);
  FeatureJobSummary summary;
  std::vector<ImageEntry> todo;
  for (const auto& e : entries) {
    if (sink->done_ids().count(e.id)) ++summary.already_done;
    else todo.push_back(e);
  }
  if (summary.already_done > 0)
    log_info(o.out + ": " + std::to_string(summary.already_done) + " images already done, " +
             std::to_string(todo.size()) + " to go");

  const std::string failures_path = o.failures_path.empty() ? o.out + ".failures.txt" : o.failures_path;
  std::vector<std::string> failures;
  auto failed = [&](const ImageEntry& e, const std::string& why) {
    log_warn("skipping " + e.path + " (id " + e.id + "): " + why);
    failures.push_back(failure_line(e.id, e.path, why));
    ++summary.failed;
  };
  for (const auto& r : o.skipped) failed(r.entry, r.reason);

  FeatureStream stream(
      detector, ids_of(todo), [&](size_t i) { return prepare_image_file(todo[i].path, o.extract); },
      o.given_boxes.empty() ? std::function<torch::Tensor(size_t)>{} : [&](size_t i) {
        auto it = o.given_boxes.find(todo[i].id);
        if (it == o.given_boxes.end()) throw Error("no boxes given for this image id");
        return it->second;
      },
      o.extract, o.batch_images, o.decode_threads);
  Progress progress(o.label, static_cast<int64_t>(todo.size()), "images");
  StreamedRecord item;
  auto next = [&] {
    try {
      return stream.next(item);
    } catch (const DeviceFault& e) {
      // The images listed so far stay listed; the output stays as written, for the same command to resume.
      if (!failures.empty()) write_failure_list(failures_path, failures);
      fail(o.out, e.what());
    }
  };
  while (next()) {
    progress.add();
    const ImageEntry& e = todo[item.index];
    if (!item.ok()) {
      failed(e, item.error);
      continue;
    }
    try {
      sink->write(item.record);
      ++summary.written;
    } catch (const OutputError&) {
      throw;  // the output cannot take more: no later image would fare better
    } catch (const Error& err) {
      failed(e, err.what());
    }
  }
  progress.finish();
  // Nothing written although images were to be: an empty output must not look like a finished one.
  const bool none_written = !todo.empty() && summary.written == 0;
  if (!none_written || summary.already_done > 0) sink->finish();
  if (!failures.empty()) {
    write_failure_list(failures_path, failures);
    log_warn(std::to_string(failures.size()) + " images failed; listed in " + failures_path);
  }
  if (none_written)
    fail(o.out, "no image was written: all " + std::to_string(todo.size()) + " failed (listed in " + failures_path + ")");
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace bua
