// Which share of the work this process takes when many run the same command: given as "i/n", or read from the
// launcher ("auto"): torchrun's RANK/WORLD_SIZE, a Slurm array job's SLURM_ARRAY_TASK_ID (from
// SLURM_ARRAY_TASK_MIN) / SLURM_ARRAY_TASK_COUNT, or a Slurm job step's SLURM_PROCID/SLURM_NTASKS.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <utility>

namespace bua {

struct Shard {
  int index = 0, count = 1;
  std::string source;  // where it came from, for the log: "--shard", "torchrun", "slurm array", "slurm", "none"
  std::string suffix() const { return "." + std::to_string(index); }  // tells the shards' outputs apart
};

using GetEnv = std::function<const char*(const char*)>;

// "i/n" (0 <= i < n) or "auto" (a single shard 0/1 when no launcher variable is set). Throws bua::Error naming
// `flag` or the variable on a malformed or inconsistent value.
Shard parse_shard(const std::string& text, const std::string& flag = "--shard", const GetEnv& getenv = nullptr);

// The contiguous share [begin, end) of n items for `rank` of `world_size` (sizes differ by at most one): the
// images each rank of test_net evaluates.
std::pair<int64_t, int64_t> shard_range(int64_t n, int rank, int world_size);

}  // namespace bua
