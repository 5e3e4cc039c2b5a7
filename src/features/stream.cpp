#include "bua/features/stream.h"

#include <torch/torch.h>

#include <algorithm>

#include "bua/util/device_fault.h"
#include "bua/util/error_text.h"

namespace bua {

FeatureStream::FeatureStream(Detector& detector, std::vector<std::string> ids, ImagePrefetcher::Prepare prepare,
                             std::function<torch::Tensor(size_t)> given_boxes, const ExtractOptions& options,
                             int64_t batch_images, int decode_threads)
    : detector_(detector),
      ids_(std::move(ids)),
      given_boxes_(std::move(given_boxes)),
      options_(options),
      batch_images_(static_cast<size_t>(std::max<int64_t>(batch_images, 1))),
      // Decoding may run three batches ahead of the network, no more: each image in flight holds its blob.
      prefetch_(ids_.size(), std::move(prepare), decode_threads, batch_images_ * 3) {}

bool FeatureStream::next(StreamedRecord& out) {
  for (;;) {
    if (!slots_.empty() && slots_.front().ready) {
      out = std::move(slots_.front().item);
      slots_.pop_front();
      return true;
    }
    if (input_done_) {
      if (batch_.empty()) return false;
      run_batch();
      continue;
    }
    PrefetchedImage prefetched;
    if (!prefetch_.next(prefetched)) {
      input_done_ = true;
      continue;
    }
    Slot slot;
    slot.item.index = prefetched.index;
    torch::Tensor boxes;
    if (prefetched.image && given_boxes_) {
      try {
        boxes = given_boxes_(prefetched.index);
      } catch (const std::exception& e) {
        prefetched.error = one_line_error(e);
        prefetched.image.reset();
      }
    }
    if (!prefetched.image) {
      // A failure takes no place in the batch; it is handed out in its turn.
      slot.item.error = prefetched.error;
      slot.ready = true;
      slots_.push_back(std::move(slot));
      continue;
    }
    slots_.push_back(std::move(slot));
    batch_.push_back(prefetched.index);
    images_.push_back(std::move(*prefetched.image));
    boxes_.push_back(boxes);
    if (batch_.size() >= batch_images_) run_batch();
  }
}

namespace {

[[noreturn]] void device_fault(const std::exception& e, const char* when) {
  throw DeviceFault(std::string("the device failed ") + when + ": " + one_line_error(e) +
                    "; stopping (what was written is kept: run the same command again to resume)");
}

}  // namespace

BatchOutcome run_batch_isolating_failures(
    size_t n, const std::function<std::vector<FeatureRecord>(const std::vector<size_t>& which)>& run) {
  BatchOutcome out;
  out.errors.assign(n, "");
  std::vector<size_t> all(n);
  for (size_t k = 0; k < n; ++k) all[k] = k;
  try {
    out.records = run(all);
    return out;
  } catch (const std::exception& e) {
    if (failure_kind(e) == FailureKind::kDevice) device_fault(e, "on a batch");
  }
  // One bad image, or a batch too big for the memory, must not sink the others: one by one.
  out.records.assign(n, FeatureRecord{});
  for (size_t k = 0; k < n; ++k) {
    try {
      out.records[k] = std::move(run({k}).at(0));
    } catch (const std::exception& e) {
      if (failure_kind(e) != FailureKind::kImage) device_fault(e, "on one image alone");
      out.errors[k] = one_line_error(e);  // no LibTorch trace in a log line or failures.txt
    }
  }
  return out;
}

void FeatureStream::run_batch() {
  const size_t n = batch_.size();
  BatchOutcome outcome = run_batch_isolating_failures(n, [&](const std::vector<size_t>& which) {
    std::vector<PreparedImage> images;
    std::vector<std::string> ids;
    std::vector<torch::Tensor> boxes;
    for (size_t k : which) images.push_back(images_[k]), ids.push_back(ids_[batch_[k]]), boxes.push_back(boxes_[k]);
    return extract_features(detector_, images, ids, options_, boxes);
  });
  // The slots hold consecutive input positions from the front's.
  const size_t first = slots_.front().item.index;
  for (size_t k = 0; k < n; ++k) {
    Slot& slot = slots_[batch_[k] - first];
    slot.item.record = std::move(outcome.records[k]);
    slot.item.error = std::move(outcome.errors[k]);
    slot.ready = true;
  }
  batch_.clear(), images_.clear(), boxes_.clear();
}

}  // namespace bua
