// A whole feature-extraction run, the work of the original tools/generate_tsv.py: skip the images already in
// the output, decode ahead on a thread pool, run the network on batches of images, select boxes, write
// records, list failures, show progress. One job runs on one device; multi-device runs start one per device.
#pragma once
#include <torch/types.h>

#include <map>
#include <string>
#include <vector>

#include "bua/features/extractor.h"
#include "bua/features/given_boxes.h"  // read_given_boxes, for --boxes
#include "bua/features/image_list.h"
#include "bua/io/feature_sink.h"

namespace bua {

struct FeatureJobOptions {
  std::string out;                         // TSV or HDF5 file, folder of .npz files, or captioning prefix
  FeatureFormat format = FeatureFormat::kTsvOriginal;
  FeatureSinkOptions sink;                 // --npz-layout; resume is always on
  ExtractOptions extract;
  int64_t batch_images = 4;                // images whose ROIs share one res5/head pass
  int decode_threads = 2;
  std::string failures_path;               // default: <out>.failures.txt
  // Given-boxes mode (--boxes): image id → [N,4] boxes in image pixels; an image without an entry fails.
  std::map<std::string, torch::Tensor> given_boxes;
  std::string label = "generate_tsv";      // progress label (the worker's device when several run)
  // Entries dropped when listing (a repeated image id): not extracted, listed in the failures file.
  std::vector<RepeatedId> skipped;
};

struct FeatureJobSummary {
  int64_t written = 0, already_done = 0, failed = 0;
  double seconds = 0;
};

// Throws bua::Error when images were to be extracted and none was written (every one failed): the output
// is then published only if an earlier run had put images in it. Failures to write the output (disk full)
// end the run with OutputError.
FeatureJobSummary run_feature_job(Detector& detector, const std::vector<ImageEntry>& entries,
                                  const FeatureJobOptions& options);

}  // namespace bua
