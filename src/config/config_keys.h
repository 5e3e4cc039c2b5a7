// Private to src/config: the one table of detector config keys. Each row names a key and reaches its
// member; reading yml files, --set and printing are all driven by it, so adding a key is one row here
// plus the member (with its default) in include/bua/config/config.h.
#pragma once
#include <cstddef>
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
};

const std::vector<ConfigKey>& config_key_table();

// The row for a dotted key, or nullptr.
const ConfigKey* find_config_key(const std::string& key);

// True if `prefix` names a section (TRAIN, TEST): some key starts with "<prefix>.".
bool is_config_section(const std::string& prefix);

}  // namespace bua::config_detail
