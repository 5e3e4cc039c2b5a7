// The aspect-ratio grouping batch sampler: grouping, seeding, sharding over ranks, resuming.
#include <gtest/gtest.h>

#include <set>

#include "bua/data/sampler.h"
#include "bua/util/error.h"

namespace {

std::vector<bool> mixed_orientations(size_t n) {
  std::vector<bool> h(n);
  for (size_t i = 0; i < n; ++i) h[i] = (i * 7 % 10) < 6;  // 60% landscape
  return h;
}

std::vector<std::vector<int64_t>> take(bua::AspectRatioGroupedSampler& s, int64_t n) {
  std::vector<std::vector<int64_t>> out;
  for (int64_t i = 0; i < n; ++i) out.push_back(s.next());
  return out;
}

}  // namespace

TEST(SplitMix64, DeterministicAndBounded) {
  bua::SplitMix64 a(42), b(42), c(43);
  const uint64_t first = a.next();
  EXPECT_EQ(first, b.next());
  EXPECT_NE(first, c.next());
  std::vector<int> hits(7);
  for (int i = 0; i < 7000; ++i) ++hits[a.below(7)];
  for (int h : hits) EXPECT_GT(h, 800);  // roughly uniform
}

TEST(Sampler, BatchesKeepOneOrientation) {
  const auto h = mixed_orientations(103);
  bua::GroupedSamplerOptions o;
  o.images_per_batch = 4;
  bua::AspectRatioGroupedSampler s(h, o);
  // 62 landscape -> 15 batches + 2 left, 41 portrait -> 10 + 1 left; 3 left over make no batch of 4.
  EXPECT_EQ(s.batches_per_epoch(), 25);
  std::set<int64_t> seen;
  int mixed = 0;
  for (const auto& batch : take(s, s.batches_per_epoch())) {
    ASSERT_EQ(batch.size(), 4u);
    std::set<bool> kinds;
    for (int64_t i : batch) {
      kinds.insert(h[i]);
      EXPECT_TRUE(seen.insert(i).second) << "image " << i << " twice in one epoch";
    }
    mixed += kinds.size() > 1;
  }
  EXPECT_EQ(mixed, 0);
  EXPECT_EQ(seen.size(), 100u);
}

TEST(Sampler, RemaindersMayFormOneMixedBatch) {
  // 3 landscape + 3 portrait in batches of 2: one batch from each group, then the two remainders.
  std::vector<bool> h{true, true, true, false, false, false};
  bua::GroupedSamplerOptions o;
  o.images_per_batch = 2;
  bua::AspectRatioGroupedSampler s(h, o);
  EXPECT_EQ(s.batches_per_epoch(), 3);
  int mixed = 0;
  for (const auto& b : take(s, 3)) mixed += h[b[0]] != h[b[1]];
  EXPECT_EQ(mixed, 1);
}

TEST(Sampler, SeededAndDifferentEachEpoch) {
  const auto h = mixed_orientations(50);
  bua::GroupedSamplerOptions o;
  o.images_per_batch = 2;
  o.seed = 7;
  bua::AspectRatioGroupedSampler a(h, o), b(h, o);
  auto ea = take(a, 25), eb = take(b, 25);
  EXPECT_EQ(ea, eb);
  o.seed = 8;
  bua::AspectRatioGroupedSampler c(h, o);
  EXPECT_NE(take(c, 25), ea);
  EXPECT_NE(take(a, 25), ea);  // the next epoch is another order
  EXPECT_EQ(a.state().epoch, 1);
}

TEST(Sampler, RanksGetDisjointEqualShares) {
  const auto h = mixed_orientations(101);
  std::set<int64_t> all;
  int64_t per_rank = -1;
  for (int rank = 0; rank < 3; ++rank) {
    bua::GroupedSamplerOptions o;
    o.images_per_batch = 2;
    o.world_size = 3;
    o.rank = rank;
    o.seed = 5;
    bua::AspectRatioGroupedSampler s(h, o);
    if (per_rank < 0) per_rank = s.batches_per_epoch();
    EXPECT_EQ(s.batches_per_epoch(), per_rank);
    for (const auto& b : take(s, s.batches_per_epoch()))
      for (int64_t i : b) EXPECT_TRUE(all.insert(i).second) << "image " << i << " on two ranks";
  }
  EXPECT_EQ(per_rank, 16);  // 50 batches of 2 over 3 ranks
  EXPECT_EQ(all.size(), 96u);
}

TEST(Sampler, ResumesFromSavedState) {
  const auto h = mixed_orientations(40);
  bua::GroupedSamplerOptions o;
  o.images_per_batch = 3;
  o.seed = 11;
  o.rank = 1;
  o.world_size = 2;
  bua::AspectRatioGroupedSampler s(h, o);
  take(s, 9);  // into the second epoch (6 batches per epoch on this rank)
  const std::string saved = s.state().to_string();
  auto expected = take(s, 10);

  bua::AspectRatioGroupedSampler resumed(h, o);
  resumed.restore(bua::SamplerState::parse(saved));
  EXPECT_EQ(take(resumed, 10), expected);
  auto st = bua::SamplerState::parse(saved);
  EXPECT_EQ(st.epoch, 1);
  EXPECT_EQ(st.position, 3);
  EXPECT_EQ(st.to_string(), saved);
}

TEST(Sampler, Errors) {
  const auto h = mixed_orientations(10);
  auto err = [](const std::function<void()>& fn) {
    try {
      fn();
    } catch (const bua::Error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  bua::GroupedSamplerOptions o;
  o.images_per_batch = 4;
  o.world_size = 3;
  EXPECT_NE(err([&] { bua::AspectRatioGroupedSampler(h, o); }).find("no batch"), std::string::npos);
  o.world_size = 1;
  o.rank = 1;
  EXPECT_NE(err([&] { bua::AspectRatioGroupedSampler(h, o); }).find("rank 1"), std::string::npos);
  o.rank = 0;
  bua::AspectRatioGroupedSampler s(h, o);
  auto st = s.state();
  st.dataset_size = 11;
  EXPECT_NE(err([&] { s.restore(st); }).find("dataset"), std::string::npos);
  st = s.state();
  st.seed = 99;
  EXPECT_NE(err([&] { s.restore(st); }).find("seed"), std::string::npos);
  st = s.state();
  st.position = 1000;
  EXPECT_NE(err([&] { s.restore(st); }).find("past the end"), std::string::npos);
  EXPECT_NE(err([] { bua::SamplerState::parse("seed=1 epoch=x"); }).find("bad value"), std::string::npos);
  EXPECT_NE(err([] { bua::SamplerState::parse("seed=1"); }).find("8 fields"), std::string::npos);
}

TEST(Shard, ContiguousNearEqualRanges) {
  EXPECT_EQ(bua::shard_range(10, 0, 3), (std::pair<int64_t, int64_t>{0, 4}));
  EXPECT_EQ(bua::shard_range(10, 1, 3), (std::pair<int64_t, int64_t>{4, 7}));
  EXPECT_EQ(bua::shard_range(10, 2, 3), (std::pair<int64_t, int64_t>{7, 10}));
  EXPECT_EQ(bua::shard_range(2, 3, 4), (std::pair<int64_t, int64_t>{2, 2}));
  EXPECT_THROW(bua::shard_range(2, 4, 4), bua::Error);
}
