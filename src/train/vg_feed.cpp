#include "bua/train/vg_feed.h"

#include <torch/torch.h>

#include <algorithm>
#include <numeric>

#include "bua/image/image.h"
#include "bua/util/error.h"
#include "bua/util/log.h"

namespace bua {

VgTrainingFeed::VgTrainingFeed(const VgDataset& dataset, const Config& cfg, uint64_t seed, int64_t slots)
    : dataset_(dataset), cfg_(cfg), seed_(seed), slots_(slots),
      entries_(dataset.records.size() * (cfg.TRAIN.USE_FLIPPED ? 2 : 1)) {
  if (dataset.records.empty()) fail(dataset.name, "no training images (no image has an object in the vocabulary)");
}

const std::vector<int64_t>& VgTrainingFeed::permutation(int64_t epoch) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (epoch == cached_epoch_) return cached_;
  std::vector<int64_t>& p = cached_;
  p.resize(entries_);
  std::iota(p.begin(), p.end(), 0);
  std::seed_seq seq{static_cast<uint32_t>(seed_), static_cast<uint32_t>(epoch), 0x5eedu};
  std::mt19937 rng(seq);
  std::shuffle(p.begin(), p.end(), rng);
  cached_epoch_ = epoch;
  return p;
}

std::pair<const VgRecord*, bool> VgTrainingFeed::example(int64_t iteration, int64_t slot) const {
  const int64_t position = iteration * slots_ + slot;
  const int64_t n = static_cast<int64_t>(entries_);
  const int64_t k = permutation(position / n)[static_cast<size_t>(position % n)];
  const size_t records = dataset_.records.size();
  return {&dataset_.records[static_cast<size_t>(k) % records], static_cast<size_t>(k) >= records};
}

TrainingBlob VgTrainingFeed::blob(int64_t iteration, int64_t slot, std::mt19937& rng) const {
  const int64_t n = static_cast<int64_t>(entries_);
  const int64_t position = iteration * slots_ + slot;
  for (int64_t attempt = 0; attempt < std::min<int64_t>(n, 20); ++attempt) {
    const int64_t p = position + attempt;
    const int64_t k = permutation(p / n)[static_cast<size_t>(p % n)];
    const size_t records = dataset_.records.size();
    const VgRecord& record = dataset_.records[static_cast<size_t>(k) % records];
    cv::Mat im;
    try {
      im = read_image(record.image_path);
    } catch (const Error& e) {
      log_warn(std::string("skipping a training image: ") + e.what());
      continue;
    }
    std::vector<float> boxes;
    std::vector<int64_t> classes, attributes;
    for (size_t i = 0; i < record.boxes.size(); ++i) {
      boxes.insert(boxes.end(), record.boxes[i].begin(), record.boxes[i].end());
      classes.push_back(record.classes[i]);
      attributes.insert(attributes.end(), record.attributes[i].begin(), record.attributes[i].end());
    }
    return prepare_training_blob(im, static_cast<size_t>(k) >= records, torch::tensor(boxes).view({-1, 4}),
                                 torch::tensor(classes), torch::tensor(attributes).view({-1, kMaxAttributesPerObject}),
                                 cfg_, rng);
  }
  fail(dataset_.name, "20 training images in a row could not be read");
}

}  // namespace bua
