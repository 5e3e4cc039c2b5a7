#include "config_keys.h"

namespace bua::config_detail {

// clang-format off
#define BUA_CFG_KEY(path) {#path, [](Config& c) -> FieldPtr { return &c.path; }}
#define BUA_CFG_LIST(path, len) {#path, [](Config& c) -> FieldPtr { return &c.path; }, len}
// clang-format on

const std::vector<ConfigKey>& config_key_table() {
  static const std::vector<ConfigKey> table = {
      // Top level (printed first, like the original yml files).
      BUA_CFG_KEY(EXP_DIR),
      BUA_CFG_KEY(USE_GPU_NMS),
      BUA_CFG_KEY(GPU_ID),
      BUA_CFG_KEY(RNG_SEED),
      BUA_CFG_KEY(DEDUP_BOXES),
      {"PIXEL_MEANS", [](Config& c) -> FieldPtr { return &c.PIXEL_MEANS; }, 3, true},
      BUA_CFG_KEY(EPS),
      BUA_CFG_KEY(ROOT_DIR),
      BUA_CFG_KEY(DATA_DIR),
      BUA_CFG_KEY(MODELS_DIR),
      BUA_CFG_KEY(MATLAB),
      // TRAIN
      BUA_CFG_KEY(TRAIN.SCALES),
      BUA_CFG_KEY(TRAIN.MAX_SIZE),
      BUA_CFG_KEY(TRAIN.IMS_PER_BATCH),
      BUA_CFG_KEY(TRAIN.BATCH_SIZE),
      BUA_CFG_KEY(TRAIN.FG_FRACTION),
      BUA_CFG_KEY(TRAIN.FG_THRESH),
      BUA_CFG_KEY(TRAIN.BG_THRESH_HI),
      BUA_CFG_KEY(TRAIN.BG_THRESH_LO),
      BUA_CFG_KEY(TRAIN.USE_FLIPPED),
      BUA_CFG_KEY(TRAIN.BBOX_REG),
      BUA_CFG_KEY(TRAIN.BBOX_THRESH),
      BUA_CFG_KEY(TRAIN.SNAPSHOT_ITERS),
      BUA_CFG_KEY(TRAIN.SNAPSHOT_INFIX),
      BUA_CFG_KEY(TRAIN.USE_PREFETCH),
      BUA_CFG_KEY(TRAIN.BBOX_NORMALIZE_TARGETS),
      BUA_CFG_LIST(TRAIN.BBOX_INSIDE_WEIGHTS, 4),
      BUA_CFG_KEY(TRAIN.BBOX_NORMALIZE_TARGETS_PRECOMPUTED),
      BUA_CFG_LIST(TRAIN.BBOX_NORMALIZE_MEANS, 4),
      BUA_CFG_LIST(TRAIN.BBOX_NORMALIZE_STDS, 4),
      BUA_CFG_KEY(TRAIN.RPN_NORMALIZE_TARGETS),
      BUA_CFG_LIST(TRAIN.RPN_NORMALIZE_MEANS, 4),
      BUA_CFG_LIST(TRAIN.RPN_NORMALIZE_STDS, 4),
      BUA_CFG_KEY(TRAIN.PROPOSAL_METHOD),
      BUA_CFG_KEY(TRAIN.ASPECT_GROUPING),
      BUA_CFG_KEY(TRAIN.HAS_RPN),
      BUA_CFG_KEY(TRAIN.RPN_POSITIVE_OVERLAP),
      BUA_CFG_KEY(TRAIN.RPN_NEGATIVE_OVERLAP),
      BUA_CFG_KEY(TRAIN.RPN_CLOBBER_POSITIVES),
      BUA_CFG_KEY(TRAIN.RPN_FG_FRACTION),
      BUA_CFG_KEY(TRAIN.RPN_BATCHSIZE),
      BUA_CFG_KEY(TRAIN.RPN_NMS_THRESH),
      BUA_CFG_KEY(TRAIN.RPN_PRE_NMS_TOP_N),
      BUA_CFG_KEY(TRAIN.RPN_POST_NMS_TOP_N),
      BUA_CFG_KEY(TRAIN.RPN_MIN_SIZE),
      BUA_CFG_LIST(TRAIN.RPN_BBOX_INSIDE_WEIGHTS, 4),
      BUA_CFG_KEY(TRAIN.RPN_POSITIVE_WEIGHT),
      BUA_CFG_KEY(TRAIN.AGNOSTIC),
      BUA_CFG_KEY(TRAIN.HAS_ATTRIBUTES),
      BUA_CFG_KEY(TRAIN.HAS_RELATIONS),
      BUA_CFG_KEY(TRAIN.MIN_RELATION_FRACTION),
      // TEST
      BUA_CFG_KEY(TEST.SCALES),
      BUA_CFG_KEY(TEST.MAX_SIZE),
      BUA_CFG_KEY(TEST.NMS),
      BUA_CFG_KEY(TEST.SOFT_NMS),
      BUA_CFG_KEY(TEST.SVM),
      BUA_CFG_KEY(TEST.BBOX_REG),
      BUA_CFG_KEY(TEST.HAS_RPN),
      BUA_CFG_KEY(TEST.PROPOSAL_METHOD),
      BUA_CFG_KEY(TEST.RPN_NMS_THRESH),
      BUA_CFG_KEY(TEST.RPN_PRE_NMS_TOP_N),
      BUA_CFG_KEY(TEST.RPN_POST_NMS_TOP_N),
      BUA_CFG_KEY(TEST.RPN_MIN_SIZE),
      BUA_CFG_KEY(TEST.AGNOSTIC),
      BUA_CFG_KEY(TEST.HAS_ATTRIBUTES),
      BUA_CFG_KEY(TEST.HAS_RELATIONS),
  };
  return table;
}

#undef BUA_CFG_KEY
#undef BUA_CFG_LIST

const ConfigKey* find_config_key(const std::string& key) {
  for (const ConfigKey& row : config_key_table()) {
    if (key == row.key) return &row;
  }
  return nullptr;
}

bool is_config_section(const std::string& prefix) {
  const std::string head = prefix + ".";
  for (const ConfigKey& row : config_key_table()) {
    if (std::string(row.key).compare(0, head.size(), head) == 0) return true;
  }
  return false;
}

}  // namespace bua::config_detail
