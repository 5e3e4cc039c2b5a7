#include "bua/train/vg_feed.h"

#include <torch/torch.h>

#include <algorithm>
#include <numeric>

#include "bua/image/image.h"
#include "bua/util/error.h"
#include "bua/util/log.h"

namespace bua {
namespace {

constexpr uint64_t kOrderStream = 0x0d3e;  // keeps the order's stream apart from the per-slot ones

}  // namespace

std::vector<int64_t> epoch_order(const std::vector<bool>& landscape, bool aspect_grouping, Rng& rng) {
  const auto n = static_cast<int64_t>(landscape.size());
  std::vector<int64_t> order;
  if (!aspect_grouping) {
    order.resize(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    shuffle(order, rng);
    return order;
  }
  std::vector<int64_t> wide, tall;
  for (int64_t i = 0; i < n; ++i) (landscape[static_cast<size_t>(i)] ? wide : tall).push_back(i);
  shuffle(wide, rng);
  shuffle(tall, rng);
  order = wide;
  order.insert(order.end(), tall.begin(), tall.end());
  // Pairs of consecutive entries, shuffled as units. An odd count (possible only without flipped copies)
  // leaves a last entry on its own, which the original's reshape to pairs would refuse.
  std::vector<int64_t> pairs((order.size() + 1) / 2);
  std::iota(pairs.begin(), pairs.end(), 0);
  shuffle(pairs, rng);
  std::vector<int64_t> out;
  out.reserve(order.size());
  for (int64_t p : pairs)
    for (size_t k = static_cast<size_t>(2 * p); k < std::min(order.size(), static_cast<size_t>(2 * p + 2)); ++k)
      out.push_back(order[k]);
  return out;
}

VgTrainingFeed::VgTrainingFeed(const VgDataset& dataset, const Config& cfg, uint64_t seed, int64_t slots)
    : dataset_(dataset), cfg_(cfg), seed_(seed), slots_(slots),
      entries_(dataset.records.size() * (cfg.TRAIN.USE_FLIPPED ? 2 : 1)) {
  if (dataset.records.empty()) fail(dataset.name, "no training images (no image has an object in the vocabulary)");
  // A flipped copy has its record's orientation; entry k is record k % records.
  for (size_t k = 0; k < entries_; ++k) {
    const VgRecord& r = dataset.records[k % dataset.records.size()];
    landscape_.push_back(r.width >= r.height);
  }
}

const std::vector<int64_t>& VgTrainingFeed::permutation(int64_t epoch) const {
  // Callers hold mutex_.
  if (epoch == cached_epoch_) return cached_;
  Rng rng = make_rng({seed_, kOrderStream, static_cast<uint64_t>(epoch)});
  cached_ = epoch_order(landscape_, cfg_.TRAIN.ASPECT_GROUPING, rng);
  cached_epoch_ = epoch;
  return cached_;
}

std::pair<const VgRecord*, bool> VgTrainingFeed::entry_at(int64_t position) const {
  const int64_t n = static_cast<int64_t>(entries_);
  int64_t k = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    k = permutation(position / n)[static_cast<size_t>(position % n)];
  }
  // Entries are the records, then the same records flipped (TRAIN.USE_FLIPPED).
  const size_t records = dataset_.records.size();
  return {&dataset_.records[static_cast<size_t>(k) % records], static_cast<size_t>(k) >= records};
}

std::pair<const VgRecord*, bool> VgTrainingFeed::example(int64_t iteration, int64_t slot) const {
  return entry_at(iteration * slots_ + slot);
}

TrainingBlob VgTrainingFeed::blob(int64_t iteration, int64_t slot, Rng& rng) const {
  const int64_t n = static_cast<int64_t>(entries_);
  const int64_t position = iteration * slots_ + slot;
  for (int64_t attempt = 0; attempt < std::min<int64_t>(n, 20); ++attempt) {
    auto [record, flipped] = entry_at(position + attempt);
    cv::Mat im;
    try {
      im = read_image(record->image_path);
    } catch (const Error& e) {
      log_warn(std::string("skipping a training image: ") + e.what());
      continue;
    }
    VgRecord resized;
    if (im.cols != record->width || im.rows != record->height) {
      resized = clipped_to_size(*record, im.cols, im.rows);
      bool first = false;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        first = mismatched_.insert(record->image_id).second;
      }
      if (first)
        log_warn(record->image_path + ": decoded as " + std::to_string(im.cols) + "x" + std::to_string(im.rows) +
                 ", its annotation says " + std::to_string(record->width) + "x" + std::to_string(record->height) +
                 "; boxes clipped to the image (" + std::to_string(++size_mismatches_) + " such images so far)");
      record = &resized;
    }
    std::vector<float> boxes;
    std::vector<int64_t> classes, attributes;
    for (size_t i = 0; i < record->boxes.size(); ++i) {
      boxes.insert(boxes.end(), record->boxes[i].begin(), record->boxes[i].end());
      classes.push_back(record->classes[i]);
      attributes.insert(attributes.end(), record->attributes[i].begin(), record->attributes[i].end());
    }
    return prepare_training_blob(im, flipped, torch::tensor(boxes).view({-1, 4}),
                                 torch::tensor(classes), torch::tensor(attributes).view({-1, kMaxAttributesPerObject}),
                                 cfg_, rng);
  }
  fail(dataset_.name, "20 training images in a row could not be read");
}

}  // namespace bua
