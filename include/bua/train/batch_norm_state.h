// Training from scratch with batch statistics (ConvAffine::enable_batch_norm) while snapshots stay in the
// released form: a snapshot's weights hold the folded frozen affine — what test_net and generate_tsv run — and
// the BatchNorm tensors travel with the solver state ("batch_norm/<name>") so that --resume continues them.
#pragma once
#include <torch/types.h>

#include <map>
#include <string>

#include "bua/model/detector.h"

namespace bua {

using TensorMap = std::map<std::string, torch::Tensor>;

// Moves every "*.batch_norm.*" entry of `state` into `extra` and writes the equivalent "*.scale"/"*.bias".
void fold_batch_norm_state(TensorMap& state, TensorMap& extra);

// The inverse on a model built from such a snapshot: when `extra` holds BatchNorm tensors, enables batch
// statistics on every ConvAffine (enable_batch_norm) and loads them. Returns whether it did.
bool restore_batch_norm(Detector& detector, const TensorMap& extra, double momentum);

}  // namespace bua
