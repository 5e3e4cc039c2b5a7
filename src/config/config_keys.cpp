#include "config_keys.h"

#include <limits>
#include <type_traits>

#include "bua/util/error.h"

namespace bua::config_detail {

// clang-format off
#define BUA_CFG_KEY(path) {#path, [](Config& c) -> FieldPtr { return &c.path; }}
#define BUA_CFG_LIST(path, len) {#path, [](Config& c) -> FieldPtr { return &c.path; }, len}
#define BUA_CFG_IN(path, lo, hi) {#path, [](Config& c) -> FieldPtr { return &c.path; }, 0, false, lo, hi}
#define BUA_CFG_POSITIVE(path, len) \
  {#path, [](Config& c) -> FieldPtr { return &c.path; }, len, false, 0.0, std::numeric_limits<double>::max(), true}
#define BUA_CFG_SIDE(path) {#path, [](Config& c) -> FieldPtr { return &c.path; }, 0, false, 1, kMaxConfigImageSide}
// clang-format on

const std::vector<ConfigKey>& config_key_table() {
  static const std::vector<ConfigKey> table = {
      // Top level (printed first, like the original yml files).
      BUA_CFG_KEY(EXP_DIR),
      BUA_CFG_KEY(USE_GPU_NMS),
      BUA_CFG_IN(GPU_ID, 0, 1 << 16),
      BUA_CFG_KEY(RNG_SEED),
      BUA_CFG_POSITIVE(DEDUP_BOXES, 0),
      {"PIXEL_MEANS", [](Config& c) -> FieldPtr { return &c.PIXEL_MEANS; }, 3, true},
      BUA_CFG_POSITIVE(EPS, 0),
      BUA_CFG_KEY(ROOT_DIR),
      BUA_CFG_KEY(DATA_DIR),
      BUA_CFG_KEY(MODELS_DIR),
      BUA_CFG_KEY(MATLAB),
      // TRAIN
      BUA_CFG_SIDE(TRAIN.SCALES),
      BUA_CFG_SIDE(TRAIN.MAX_SIZE),
      BUA_CFG_IN(TRAIN.IMS_PER_BATCH, 1, 1024),
      BUA_CFG_IN(TRAIN.BATCH_SIZE, 1, 1 << 20),
      BUA_CFG_IN(TRAIN.FG_FRACTION, 0, 1),
      BUA_CFG_IN(TRAIN.FG_THRESH, 0, 1),
      BUA_CFG_IN(TRAIN.BG_THRESH_HI, 0, 1),
      BUA_CFG_IN(TRAIN.BG_THRESH_LO, 0, 1),
      BUA_CFG_KEY(TRAIN.USE_FLIPPED),
      BUA_CFG_KEY(TRAIN.BBOX_REG),
      BUA_CFG_IN(TRAIN.BBOX_THRESH, 0, 1),
      BUA_CFG_IN(TRAIN.SNAPSHOT_ITERS, 0, std::numeric_limits<int>::max()),
      BUA_CFG_KEY(TRAIN.SNAPSHOT_INFIX),
      BUA_CFG_KEY(TRAIN.USE_PREFETCH),
      BUA_CFG_KEY(TRAIN.BBOX_NORMALIZE_TARGETS),
      BUA_CFG_LIST(TRAIN.BBOX_INSIDE_WEIGHTS, 4),
      BUA_CFG_KEY(TRAIN.BBOX_NORMALIZE_TARGETS_PRECOMPUTED),
      BUA_CFG_LIST(TRAIN.BBOX_NORMALIZE_MEANS, 4),
      BUA_CFG_POSITIVE(TRAIN.BBOX_NORMALIZE_STDS, 4),
      BUA_CFG_KEY(TRAIN.RPN_NORMALIZE_TARGETS),
      BUA_CFG_LIST(TRAIN.RPN_NORMALIZE_MEANS, 4),
      BUA_CFG_POSITIVE(TRAIN.RPN_NORMALIZE_STDS, 4),
      BUA_CFG_KEY(TRAIN.PROPOSAL_METHOD),
      BUA_CFG_KEY(TRAIN.ASPECT_GROUPING),
      BUA_CFG_KEY(TRAIN.HAS_RPN),
      BUA_CFG_IN(TRAIN.RPN_POSITIVE_OVERLAP, 0, 1),
      BUA_CFG_IN(TRAIN.RPN_NEGATIVE_OVERLAP, 0, 1),
      BUA_CFG_KEY(TRAIN.RPN_CLOBBER_POSITIVES),
      BUA_CFG_IN(TRAIN.RPN_FG_FRACTION, 0, 1),
      BUA_CFG_IN(TRAIN.RPN_BATCHSIZE, 1, 1 << 20),
      BUA_CFG_IN(TRAIN.RPN_NMS_THRESH, 0, 1),
      BUA_CFG_KEY(TRAIN.RPN_PRE_NMS_TOP_N),
      BUA_CFG_KEY(TRAIN.RPN_POST_NMS_TOP_N),
      BUA_CFG_IN(TRAIN.RPN_MIN_SIZE, 0, kMaxConfigImageSide),
      BUA_CFG_LIST(TRAIN.RPN_BBOX_INSIDE_WEIGHTS, 4),
      BUA_CFG_IN(TRAIN.RPN_POSITIVE_WEIGHT, -std::numeric_limits<double>::max(), 1),
      BUA_CFG_KEY(TRAIN.AGNOSTIC),
      BUA_CFG_KEY(TRAIN.HAS_ATTRIBUTES),
      BUA_CFG_KEY(TRAIN.HAS_RELATIONS),
      BUA_CFG_IN(TRAIN.MIN_RELATION_FRACTION, 0, 1),
      // TEST
      BUA_CFG_SIDE(TEST.SCALES),
      BUA_CFG_SIDE(TEST.MAX_SIZE),
      BUA_CFG_IN(TEST.NMS, 0, 1),
      BUA_CFG_IN(TEST.SOFT_NMS, 0, 2),
      BUA_CFG_KEY(TEST.SVM),
      BUA_CFG_KEY(TEST.BBOX_REG),
      BUA_CFG_KEY(TEST.HAS_RPN),
      BUA_CFG_KEY(TEST.PROPOSAL_METHOD),
      BUA_CFG_IN(TEST.RPN_NMS_THRESH, 0, 1),
      BUA_CFG_KEY(TEST.RPN_PRE_NMS_TOP_N),
      BUA_CFG_KEY(TEST.RPN_POST_NMS_TOP_N),
      BUA_CFG_IN(TEST.RPN_MIN_SIZE, 0, kMaxConfigImageSide),
      BUA_CFG_KEY(TEST.AGNOSTIC),
      BUA_CFG_KEY(TEST.HAS_ATTRIBUTES),
      BUA_CFG_KEY(TEST.HAS_RELATIONS),
  };
  return table;
}

#undef BUA_CFG_KEY
#undef BUA_CFG_LIST
#undef BUA_CFG_IN
#undef BUA_CFG_POSITIVE
#undef BUA_CFG_SIDE

const ConfigKey* find_config_key(const std::string& key) {
  for (const ConfigKey& row : config_key_table()) {
    if (key == row.key) return &row;
  }
  return nullptr;
}

namespace {

std::string number_text(double v) {
  const std::string s = format_double(v);
  return s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0 ? s.substr(0, s.size() - 2) : s;
}

void check_number(const ConfigKey& row, double v, const std::string& key, const std::string& where) {
  const bool above_lo = row.lo_open ? v > row.lo : v >= row.lo;
  if (above_lo && v <= row.hi) return;  // false for NaN
  const bool no_lo = row.lo == -std::numeric_limits<double>::max();
  const bool no_hi = row.hi == std::numeric_limits<double>::max();
  std::string range;
  if (no_lo && no_hi)
    range = "a finite number";
  else if (no_hi)
    range = std::string(row.lo_open ? "> " : ">= ") + number_text(row.lo);
  else
    range = std::string("in ") + (row.lo_open ? "(" : "[") + number_text(row.lo) + ", " + number_text(row.hi) + "]";
  fail(where, "config key " + key + ": " + number_text(v) + " is out of range (must be " + range + ")");
}

}  // namespace

void check_config_range(const ConfigKey& row, Config& cfg, const std::string& where) {
  std::visit(
      [&](auto* member) {
        using T = std::remove_pointer_t<decltype(member)>;
        if constexpr (std::is_same_v<T, int> || std::is_same_v<T, double>) {
          check_number(row, static_cast<double>(*member), row.key, where);
        } else if constexpr (std::is_same_v<T, std::vector<int>> || std::is_same_v<T, std::vector<double>>) {
          for (std::size_t i = 0; i < member->size(); ++i)
            check_number(row, static_cast<double>((*member)[i]), std::string(row.key) + "[" + std::to_string(i) + "]",
                         where);
        }
      },
      row.member(cfg));
}

bool is_config_section(const std::string& prefix) {
  const std::string head = prefix + ".";
  for (const ConfigKey& row : config_key_table()) {
    if (std::string(row.key).compare(0, head.size(), head) == 0) return true;
  }
  return false;
}

}  // namespace bua::config_detail
