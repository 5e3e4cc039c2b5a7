// Training images from a Visual Genome split: every record, plus its mirror image when TRAIN.USE_FLIPPED
// (the original's append_flipped_images), visited in a seeded random order that is a pure function of the
// global image position — iteration * slots + slot — so data parallelism and resumption need no saved state.
#pragma once
#include <cstdint>
#include <mutex>
#include <random>
#include <vector>

#include "bua/config/config.h"
#include "bua/data/vg_dataset.h"
#include "bua/train/detector_loss.h"

namespace bua {

class VgTrainingFeed {
 public:
  VgTrainingFeed(const VgDataset& dataset, const Config& cfg, uint64_t seed, int64_t slots_per_iteration);
  // The image for (iteration, slot): index into the epoch's permutation of records x {plain, flipped}.
  std::pair<const VgRecord*, bool> example(int64_t iteration, int64_t slot) const;
  // An unreadable image is logged and replaced by the next one of the epoch's order.
  TrainingBlob blob(int64_t iteration, int64_t slot, std::mt19937& rng) const;
  int64_t size() const { return static_cast<int64_t>(entries_); }

 private:
  const std::vector<int64_t>& permutation(int64_t epoch) const;
  const VgDataset& dataset_;
  const Config& cfg_;
  uint64_t seed_;
  int64_t slots_;
  size_t entries_;
  mutable std::mutex mutex_;
  mutable int64_t cached_epoch_ = -1;
  mutable std::vector<int64_t> cached_;
};

}  // namespace bua
