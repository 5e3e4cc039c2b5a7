// What training does with each TRAIN key of the config (config.py's names): every key is either honoured
// — the training code reads it and behaves as the original does — or refused with an error naming the key
// when set to a value this end-to-end trainer does not support. The table is the one place that says
// which; a test holds it to the config's key list, so a new key cannot be silently ignored.
#pragma once
#include <string>
#include <vector>

#include "bua/config/arch.h"
#include "bua/config/config.h"

namespace bua {

struct TrainKeyRule {
  const char* key;  // "TRAIN.IMS_PER_BATCH"
  const char* use;  // where and how it is honoured; which values are refused
};

const std::vector<TrainKeyRule>& train_key_rules();

// Throws bua::Error "TRAIN.<KEY>: ..." for the first key set to a value training refuses. With `arch`
// (the network to train), also checks the keys that must agree with it (HAS_ATTRIBUTES).
void check_train_config(const Config& cfg, const ArchConfig* arch = nullptr);

}  // namespace bua
