// Training order: an aspect-ratio grouping batch sampler (the original's ASPECT_GROUPING: landscape and
// portrait images are not mixed in one batch) that is seeded, shards its batches over ranks, and can
// save and restore its position for resuming. Plus the contiguous shards used for evaluation.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "bua/data/vg_dataset.h"

namespace bua {

// A small deterministic generator (splitmix64), identical on every platform and standard library.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t next();
  uint64_t below(uint64_t n);  // uniform in [0, n), n > 0, without modulo bias
  template <typename T>
  void shuffle(std::vector<T>& v) {  // Fisher-Yates
    for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[below(i)]);
  }

 private:
  uint64_t state_;
};

struct GroupedSamplerOptions {
  uint64_t seed = 0;
  int images_per_batch = 1;  // per rank
  bool aspect_grouping = true;
  int rank = 0;
  int world_size = 1;
};

// Where a sampler stands; saved with a checkpoint and given back to restore() to resume.
struct SamplerState {
  uint64_t seed = 0;
  int64_t epoch = 0;
  int64_t position = 0;  // batches of this epoch already returned on this rank
  int64_t dataset_size = 0;
  int images_per_batch = 1;
  bool aspect_grouping = true;
  int rank = 0, world_size = 1;

  std::string to_string() const;  // "seed=... epoch=... position=... ..."
  static SamplerState parse(const std::string& text);
};

class AspectRatioGroupedSampler {
 public:
  // `horizontal[i]`: image i is at least as wide as it is tall. Throws bua::Error when the options are
  // invalid or one epoch cannot give every rank a batch.
  AspectRatioGroupedSampler(std::vector<bool> horizontal, GroupedSamplerOptions options);
  static std::vector<bool> orientations(const std::vector<VgRecord>& records);

  // The next batch of this rank (dataset indices, all of one orientation except at most one batch per
  // epoch made of the two groups' remainders). Epochs follow one another without end; every rank
  // gets the same number of batches per epoch, and the ranks' batches are disjoint.
  std::vector<int64_t> next();

  int64_t batches_per_epoch() const { return static_cast<int64_t>(batches_.size()); }  // of this rank
  SamplerState state() const;
  // Continues from a saved state; throws bua::Error when it was saved for another dataset size,
  // batch size, seed, grouping or rank layout.
  void restore(const SamplerState& state);

 private:
  void build_epoch();

  std::vector<bool> horizontal_;
  GroupedSamplerOptions options_;
  int64_t epoch_ = 0;
  int64_t position_ = 0;
  std::vector<std::vector<int64_t>> batches_;  // this rank's batches of the current epoch
};

// The contiguous share [begin, end) of n items for `rank` of `world_size` (sizes differ by at most one).
std::pair<int64_t, int64_t> shard_range(int64_t n, int rank, int world_size);

}  // namespace bua
