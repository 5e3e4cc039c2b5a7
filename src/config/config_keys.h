// Private to src/config: the one table of detector config keys. Each row names a key and reaches its
// member; reading yml files, --set and printing are all driven by it, so adding a key is one row here
// plus the member (with its default) in include/bua/config/config.h.
#pragma once
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "bua/config/config.h"
#include "yaml_fields.h"

namespace bua::config_detail {

struct ConfigKey {
  const char* key;  // dotted: "TRAIN.SCALES", or a top-level name: "RNG_SEED"
  FieldPtr (*member)(Config& cfg);
  std::size_t fixed_len = 0;  // lists that must have exactly this many items (0: any)
  bool allow_nested = false;  // accepts config.py's nested array form ([[[b, g, r]]])
  // Numbers outside [lo, hi] (NaN and inf included) are refused when read, with an error naming the key, so a
  // typo fails the run at load instead of failing every image later; lists are checked item by item.
  double lo = -std::numeric_limits<double>::max();
  double hi = std::numeric_limits<double>::max();
  bool lo_open = false;       // lo itself is refused too (a divisor must be > 0)
};

// (An empty list of SCALES stays loadable, as before: the extractor and the trainer refuse it where used.)
// The largest image side (a scale or a MAX_SIZE) a config may ask for: far beyond any real use, small enough
// that a scaled image's memory stays within reason.
constexpr int kMaxConfigImageSide = 16384;

// Refuses a value of `row` outside its range; `where` is "<file>:<line>" or the --set text.
void check_config_range(const ConfigKey& row, Config& cfg, const std::string& where);

const std::vector<ConfigKey>& config_key_table();

// The row for a dotted key, or nullptr.
const ConfigKey* find_config_key(const std::string& key);

// True if `prefix` names a section (TRAIN, TEST): some key starts with "<prefix>.".
bool is_config_section(const std::string& prefix);

}  // namespace bua::config_detail
