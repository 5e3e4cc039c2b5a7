// The small portable helpers training and evaluation share: the synthetic dataset's generator and the
// contiguous shards of test_net's ranks.
#include <gtest/gtest.h>

#include <vector>

#include "bua/util/error.h"
#include "bua/util/random.h"
#include "bua/util/shard.h"

TEST(SplitMix64, DeterministicAndBounded) {
  bua::SplitMix64 a(42), b(42), c(43);
  const uint64_t first = a.next();
  EXPECT_EQ(first, b.next());
  EXPECT_NE(first, c.next());
  std::vector<int> hits(7);
  for (int i = 0; i < 7000; ++i) ++hits[a.below(7)];
  for (int h : hits) EXPECT_GT(h, 800);  // roughly uniform
}

TEST(Shard, ContiguousNearEqualRanges) {
  EXPECT_EQ(bua::shard_range(10, 0, 3), (std::pair<int64_t, int64_t>{0, 4}));
  EXPECT_EQ(bua::shard_range(10, 1, 3), (std::pair<int64_t, int64_t>{4, 7}));
  EXPECT_EQ(bua::shard_range(10, 2, 3), (std::pair<int64_t, int64_t>{7, 10}));
  EXPECT_EQ(bua::shard_range(2, 3, 4), (std::pair<int64_t, int64_t>{2, 2}));
  EXPECT_THROW(bua::shard_range(2, 4, 4), bua::Error);
}
