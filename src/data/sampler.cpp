#include "bua/data/sampler.h"

#include <algorithm>
#include <sstream>

#include "bua/util/error.h"

namespace bua {

uint64_t SplitMix64::next() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint64_t SplitMix64::below(uint64_t n) {
  const uint64_t threshold = (0 - n) % n;  // values under it would bias the modulo
  while (true) {
    const uint64_t r = next();
    if (r >= threshold) return r % n;
  }
}

std::string SamplerState::to_string() const {
  std::ostringstream out;
  out << "seed=" << seed << " epoch=" << epoch << " position=" << position << " dataset_size=" << dataset_size
      << " images_per_batch=" << images_per_batch << " aspect_grouping=" << (aspect_grouping ? 1 : 0)
      << " rank=" << rank << " world_size=" << world_size;
  return out.str();
}

SamplerState SamplerState::parse(const std::string& text) {
  SamplerState s;
  std::istringstream in(text);
  std::string field;
  int seen = 0;
  while (in >> field) {
    const size_t eq = field.find('=');
    if (eq == std::string::npos) fail("sampler state", "expected key=value, got '" + field + "'");
    const std::string key = field.substr(0, eq), value = field.substr(eq + 1);
    try {
      if (key == "seed")
        s.seed = std::stoull(value);
      else if (key == "epoch")
        s.epoch = std::stoll(value);
      else if (key == "position")
        s.position = std::stoll(value);
      else if (key == "dataset_size")
        s.dataset_size = std::stoll(value);
      else if (key == "images_per_batch")
        s.images_per_batch = std::stoi(value);
      else if (key == "aspect_grouping")
        s.aspect_grouping = std::stoi(value) != 0;
      else if (key == "rank")
        s.rank = std::stoi(value);
      else if (key == "world_size")
        s.world_size = std::stoi(value);
      else
        fail("sampler state", "unknown key '" + key + "'");
    } catch (const std::logic_error&) {
      fail("sampler state", "bad value in '" + field + "'");
    }
    ++seen;
  }
  if (seen != 8) fail("sampler state", "expected 8 fields in '" + text + "'");
  return s;
}

AspectRatioGroupedSampler::AspectRatioGroupedSampler(std::vector<bool> horizontal, GroupedSamplerOptions options)
    : horizontal_(std::move(horizontal)), options_(options) {
  if (options_.images_per_batch < 1) fail("sampler", "images_per_batch must be >= 1");
  if (options_.world_size < 1 || options_.rank < 0 || options_.rank >= options_.world_size)
    fail("sampler",
         "rank " + std::to_string(options_.rank) + " is not in a world of " + std::to_string(options_.world_size));
  build_epoch();
  if (batches_.empty())
    fail("sampler", std::to_string(horizontal_.size()) + " images give no batch of " +
                        std::to_string(options_.images_per_batch) + " to each of " +
                        std::to_string(options_.world_size) + " ranks");
}

std::vector<bool> AspectRatioGroupedSampler::orientations(const std::vector<VgRecord>& records) {
  std::vector<bool> h;
  h.reserve(records.size());
  for (const VgRecord& r : records) h.push_back(r.width >= r.height);
  return h;
}

void AspectRatioGroupedSampler::build_epoch() {
  // Every rank builds the same global order from (seed, epoch) and keeps its own share.
  SplitMix64 rng(options_.seed ^ (0x2545f4914f6cdd1dull * static_cast<uint64_t>(epoch_ + 1)));
  const auto b = static_cast<size_t>(options_.images_per_batch);
  std::vector<std::vector<int64_t>> groups(options_.aspect_grouping ? 2 : 1);
  for (size_t i = 0; i < horizontal_.size(); ++i)
    groups[options_.aspect_grouping && !horizontal_[i] ? 1 : 0].push_back(static_cast<int64_t>(i));
  std::vector<std::vector<int64_t>> all;
  std::vector<int64_t> rest;
  for (auto& g : groups) {
    rng.shuffle(g);
    size_t i = 0;
    for (; i + b <= g.size(); i += b) all.emplace_back(g.begin() + i, g.begin() + i + b);
    rest.insert(rest.end(), g.begin() + i, g.end());
  }
  // The two remainders may fill one mixed batch, as the original's pairing does at the boundary.
  for (size_t i = 0; i + b <= rest.size(); i += b) all.emplace_back(rest.begin() + i, rest.begin() + i + b);
  rng.shuffle(all);
  const size_t world = static_cast<size_t>(options_.world_size), per_rank = all.size() / world;
  batches_.clear();
  for (size_t k = 0; k < per_rank; ++k) batches_.push_back(std::move(all[k * world + options_.rank]));
}

std::vector<int64_t> AspectRatioGroupedSampler::next() {
  if (position_ >= batches_per_epoch()) {
    ++epoch_;
    position_ = 0;
    build_epoch();
  }
  return batches_[static_cast<size_t>(position_++)];
}

SamplerState AspectRatioGroupedSampler::state() const {
  SamplerState s;
  s.seed = options_.seed;
  s.epoch = epoch_;
  s.position = position_;
  s.dataset_size = static_cast<int64_t>(horizontal_.size());
  s.images_per_batch = options_.images_per_batch;
  s.aspect_grouping = options_.aspect_grouping;
  s.rank = options_.rank;
  s.world_size = options_.world_size;
  return s;
}

void AspectRatioGroupedSampler::restore(const SamplerState& s) {
  const SamplerState mine = state();
  auto mismatch = [&](const char* what, const std::string& saved, const std::string& now) {
    fail("sampler state", std::string("saved for ") + what + " " + saved + ", now " + now);
  };
  if (s.dataset_size != mine.dataset_size)
    mismatch("a dataset of", std::to_string(s.dataset_size), std::to_string(mine.dataset_size));
  if (s.seed != mine.seed) mismatch("seed", std::to_string(s.seed), std::to_string(mine.seed));
  if (s.images_per_batch != mine.images_per_batch)
    mismatch("batches of", std::to_string(s.images_per_batch), std::to_string(mine.images_per_batch));
  if (s.aspect_grouping != mine.aspect_grouping)
    mismatch("aspect grouping", s.aspect_grouping ? "on" : "off", mine.aspect_grouping ? "on" : "off");
  if (s.rank != mine.rank || s.world_size != mine.world_size)
    mismatch("rank", std::to_string(s.rank) + "/" + std::to_string(s.world_size),
             std::to_string(mine.rank) + "/" + std::to_string(mine.world_size));
  if (s.epoch < 0 || s.position < 0) fail("sampler state", "negative epoch or position");
  epoch_ = s.epoch;
  build_epoch();
  if (s.position > batches_per_epoch()) fail("sampler state", "position past the end of the epoch");
  position_ = s.position;
}

std::pair<int64_t, int64_t> shard_range(int64_t n, int rank, int world_size) {
  if (world_size < 1 || rank < 0 || rank >= world_size)
    fail("shard", "rank " + std::to_string(rank) + " is not in a world of " + std::to_string(world_size));
  const int64_t base = n / world_size, extra = n % world_size;
  const int64_t begin = rank * base + std::min<int64_t>(rank, extra);
  return {begin, begin + base + (rank < extra ? 1 : 0)};
}

}  // namespace bua
