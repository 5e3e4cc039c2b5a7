#include "bua/util/shard.h"

#include <algorithm>
#include <cstdlib>

#include "bua/util/error.h"

namespace bua {
namespace {

// A non-negative decimal integer that fits int, or -1.
int to_index(const std::string& s) {
  if (s.empty() || s.size() > 9) return -1;
  for (char c : s)
    if (c < '0' || c > '9') return -1;
  return std::stoi(s);
}

Shard checked(int index, int count, const std::string& source, const std::string& where, const std::string& text) {
  if (index < 0 || count < 1 || index >= count)
    fail(where, "expected a share i/n with 0 <= i < n, got " + text);
  return {index, count, source};
}

}  // namespace

Shard parse_shard(const std::string& text, const std::string& flag, const GetEnv& getenv_fn) {
  if (text != "auto") {
    const auto slash = text.find('/');
    if (slash == std::string::npos) fail(flag, "expected i/n (e.g. 0/4) or auto, got '" + text + "'");
    return checked(to_index(text.substr(0, slash)), to_index(text.substr(slash + 1)), flag, flag, "'" + text + "'");
  }
  const GetEnv env = getenv_fn ? getenv_fn : GetEnv([](const char* name) { return std::getenv(name); });
  auto var = [&](const char* name) -> std::string {
    const char* v = env(name);
    return v ? v : "";
  };
  auto number = [&](const char* name) {
    const int v = to_index(var(name));
    if (v < 0) fail(flag + " auto", std::string(name) + "='" + var(name) + "' is not a non-negative integer");
    return v;
  };
  auto pair_text = [&](const char* a, const char* b) {
    return std::string(a) + "=" + var(a) + ", " + b + "=" + var(b);
  };
  if (!var("RANK").empty() || !var("WORLD_SIZE").empty())
    return checked(number("RANK"), number("WORLD_SIZE"), "torchrun", flag + " auto", pair_text("RANK", "WORLD_SIZE"));
  if (!var("SLURM_ARRAY_TASK_ID").empty()) {
    // Arrays may start anywhere (--array=1-8): the share is the task's offset from the first.
    const int first = var("SLURM_ARRAY_TASK_MIN").empty() ? 0 : number("SLURM_ARRAY_TASK_MIN");
    const int id = number("SLURM_ARRAY_TASK_ID");
    return checked(id - first, number("SLURM_ARRAY_TASK_COUNT"), "slurm array", flag + " auto",
                   pair_text("SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT") + ", SLURM_ARRAY_TASK_MIN=" +
                       std::to_string(first));
  }
  if (!var("SLURM_PROCID").empty())
    return checked(number("SLURM_PROCID"), number("SLURM_NTASKS"), "slurm", flag + " auto",
                   pair_text("SLURM_PROCID", "SLURM_NTASKS"));
  return {0, 1, "none"};
}

std::pair<int64_t, int64_t> shard_range(int64_t n, int rank, int world_size) {
  if (world_size < 1 || rank < 0 || rank >= world_size)
    fail("shard", "rank " + std::to_string(rank) + " is not in a world of " + std::to_string(world_size));
  const int64_t base = n / world_size, extra = n % world_size;
  const int64_t begin = rank * base + std::min<int64_t>(rank, extra);
  return {begin, begin + base + (rank < extra ? 1 : 0)};
}

}  // namespace bua
