// Training images from a Visual Genome split: every record, plus its mirror image when TRAIN.USE_FLIPPED
// (the original's append_flipped_images), in a seeded order that is a pure function of the global image
// position — iteration * slots + slot — so data parallelism and resumption need no saved state.
// The order of an epoch follows lib/roi_data_layer/layer.py: with TRAIN.ASPECT_GROUPING, landscape
// (width >= height) and portrait entries are shuffled separately, concatenated, cut into consecutive pairs,
// and the pairs shuffled, so the two images of a pair share an orientation (except the one pair at the
// boundary); without it, one shuffle of all entries. Draws come from util/random.h's generator, one stream
// per (seed, epoch); numpy's stream (and its reseeding by GPU id before the pair shuffle) is not reproduced.
#pragma once
#include <atomic>
#include <cstdint>
#include <mutex>
#include <set>
#include <vector>

#include "bua/config/config.h"
#include "bua/data/vg_dataset.h"
#include "bua/train/detector_loss.h"
#include "bua/util/random.h"

namespace bua {

// The entry order of one epoch: a permutation of 0..n-1 for entries whose orientation is `landscape[i]`.
std::vector<int64_t> epoch_order(const std::vector<bool>& landscape, bool aspect_grouping, Rng& rng);

class VgTrainingFeed {
 public:
  VgTrainingFeed(const VgDataset& dataset, const Config& cfg, uint64_t seed, int64_t slots_per_iteration);
  // The image for (iteration, slot) in the epoch's order of records x {plain, flipped}: what blob() reads
  // (unless that image cannot be read).
  std::pair<const VgRecord*, bool> example(int64_t iteration, int64_t slot) const;
  // An unreadable image is logged and replaced by the next one of the epoch's order. When the decoded image's
  // size differs from the record's, its boxes are clipped to the decoded image (the original clips to the
  // size of the image file) and the image is counted and logged once.
  TrainingBlob blob(int64_t iteration, int64_t slot, Rng& rng) const;
  int64_t size() const { return static_cast<int64_t>(entries_); }
  int64_t size_mismatches() const { return size_mismatches_.load(); }

 private:
  const std::vector<int64_t>& permutation(int64_t epoch) const;
  std::pair<const VgRecord*, bool> entry_at(int64_t position) const;  // the record and whether flipped
  const VgDataset& dataset_;
  const Config& cfg_;
  uint64_t seed_;
  int64_t slots_;
  size_t entries_;
  std::vector<bool> landscape_;  // per entry
  mutable std::mutex mutex_;
  mutable int64_t cached_epoch_ = -1;
  mutable std::vector<int64_t> cached_;
  mutable std::set<int64_t> mismatched_;  // image ids already logged
  mutable std::atomic<int64_t> size_mismatches_{0};
};

}  // namespace bua
