#include "bua/features/job.h"

#include <torch/torch.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>

#include "bua/features/prefetch.h"
#include "bua/util/atomic_file.h"
#include "bua/util/error.h"
#include "bua/util/error_text.h"
#include "bua/util/failure_list.h"
#include "bua/util/log.h"
#include "bua/util/progress.h"

namespace bua {

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

  const ExtractOptions& x = o.extract;
  ImagePrefetcher prefetch(
      todo.size(),
      [&](size_t i) {
        // Opened only when a regular file: a FIFO would block the reader, /dev/zero fill the memory.
        const std::string not_file = not_a_regular_file(todo[i].path);
        if (!not_file.empty()) fail(todo[i].path, not_file);
        return prepare_image(read_image(todo[i].path, x.image), x.pixel_means, x.target_size, x.max_size);
      },
      o.decode_threads, static_cast<size_t>(std::max<int64_t>(o.batch_images, 1) * 3));
  Progress progress(o.label, static_cast<int64_t>(todo.size()), "images");

  std::vector<PreparedImage> images;
  std::vector<std::string> ids;
  std::vector<torch::Tensor> boxes;
  std::vector<const ImageEntry*> batch_entries;
  auto flush = [&] {
    if (images.empty()) return;
    std::vector<FeatureRecord> records;
    try {
      records = extract_features(detector, images, ids, x, o.given_boxes.empty() ? std::vector<torch::Tensor>{} : boxes);
    } catch (const std::exception& e) {
      // One bad image must not sink the batch: retry one by one to find it.
      for (size_t i = 0; i < images.size(); ++i) {
        try {
          auto one = extract_features(detector, {images[i]}, {ids[i]}, x,
                                      o.given_boxes.empty() ? std::vector<torch::Tensor>{} : std::vector<torch::Tensor>{boxes[i]});
          records.push_back(std::move(one.at(0)));
        } catch (const std::exception& e1) {
          failed(*batch_entries[i], one_line_error(e1));  // no LibTorch trace in failures.txt
          records.emplace_back();  // placeholder, skipped below
        }
      }
    }
    for (size_t i = 0; i < records.size(); ++i) {
      if (records[i].image_id.empty()) continue;
      try {
        sink->write(records[i]);
        ++summary.written;
      } catch (const OutputError&) {
        throw;  // the output cannot take more: no later image would fare better
      } catch (const Error& e) {
        failed(*batch_entries[i], e.what());
      }
    }
    progress.add(static_cast<int64_t>(images.size()));
    images.clear(), ids.clear(), boxes.clear(), batch_entries.clear();
  };

  PrefetchedImage item;
  while (prefetch.next(item)) {
    const ImageEntry& e = todo[item.index];
    if (!item.image) {
      failed(e, item.error);
      progress.add();
      continue;
    }
    torch::Tensor given;
    if (!o.given_boxes.empty()) {
      auto it = o.given_boxes.find(e.id);
      if (it == o.given_boxes.end()) {
        failed(e, "no boxes given for this image id");
        progress.add();
        continue;
      }
      given = it->second;
    }
    images.push_back(std::move(*item.image));
    ids.push_back(e.id);
    boxes.push_back(given);
    batch_entries.push_back(&e);
    if (static_cast<int64_t>(images.size()) >= o.batch_images) flush();
  }
  flush();
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
