// The records of a list of images, in input order: the loop of a feature run. Images are decoded and prepared
// ahead on a thread pool (ImagePrefetcher) and go through the network `batch_images` at a time
// (extract_features); a batch that throws is retried image by image, so that a bad image fails alone, while a
// fault of the device ends the stream (bua/util/device_fault.h).
// generate_tsv's job writes what comes out; the Python module's extract_many yields it.
#pragma once
#include <torch/types.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "bua/features/extractor.h"
#include "bua/features/prefetch.h"

namespace bua {

struct StreamedRecord {
  size_t index = 0;      // the image's position in the input
  FeatureRecord record;  // when ok()
  std::string error;     // why the image failed, on one line
  bool ok() const { return error.empty(); }
};

// Each image's record or its own error (empty when it has a record).
struct BatchOutcome {
  std::vector<FeatureRecord> records;
  std::vector<std::string> errors;
};

// The retry rule of a batch of n images: run(all positions) first; when it throws for the images' own reason
// or for memory, run(each position alone), and an image that still fails for its own reason gets the error.
// A device fault, or memory that one image alone cannot get, throws DeviceFault instead: retrying would list
// every later image as bad while the run exits 0. run(which) returns one record per position in `which`.
BatchOutcome run_batch_isolating_failures(
    size_t n, const std::function<std::vector<FeatureRecord>(const std::vector<size_t>& which)>& run);

class FeatureStream {
 public:
  // image i is prepare(i) (e.g. prepare_image_file), called on `decode_threads` threads; its boxes are
  // given_boxes(i), called on the caller's thread: undefined for the proposals, and a null given_boxes means
  // proposals for all. Either may throw to fail image i alone. ids[i] becomes the record's image_id.
  // Throws bua::Error when the threads cannot start (see ImagePrefetcher).
  FeatureStream(Detector& detector, std::vector<std::string> ids, ImagePrefetcher::Prepare prepare,
                std::function<torch::Tensor(size_t)> given_boxes, const ExtractOptions& options,
                int64_t batch_images, int decode_threads);

  // The next image's record or failure in input order; false after the last. Throws DeviceFault when the
  // device fails (the records handed out before stay valid).
  bool next(StreamedRecord& out);

 private:
  struct Slot {
    StreamedRecord item;
    bool ready = false;  // false while the image waits in the batch
  };
  void run_batch();

  Detector& detector_;
  std::vector<std::string> ids_;
  std::function<torch::Tensor(size_t)> given_boxes_;
  ExtractOptions options_;
  size_t batch_images_;
  // Images handed out by the prefetcher, in input order, from the oldest not yet returned by next().
  std::deque<Slot> slots_;
  bool input_done_ = false;
  // The batch waiting for the network.
  std::vector<size_t> batch_;
  std::vector<PreparedImage> images_;
  std::vector<torch::Tensor> boxes_;
  ImagePrefetcher prefetch_;  // last: its threads stop before the members above go
};

}  // namespace bua
