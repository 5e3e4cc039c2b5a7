// The network a training run starts from, as the original's SolverWrapper builds it: the train net with
// every layer at its prototxt filler, then net.copy_from(pretrained) over the layers the pretrained model
// has. Here: the new layers from new_layer_fillers() (weight_init.h), every tensor of `weights` whose
// name and shape fit copied over them. An ImageNet import (import_caffemodel --trunk-only) holds only
// trunk and res5 tensors, so the RPN and heads keep the fillers.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "bua/model/checkpoint.h"

namespace bua {

struct InitialModelOptions {
  std::string weights;        // checkpoint to copy from; empty: none (needs from_scratch)
  std::string arch;           // architecture file; empty: that of `weights`
  bool from_scratch = false;  // allow trunk tensors that `weights` does not give (random instead)
  bool he_init = false;       // from scratch: init_from_scratch's He-normal trunk; else LibTorch's defaults
  uint64_t seed = 3;          // RNG_SEED
};

// The starting checkpoint (iteration 0, no solver state) for a dataset with these vocabularies (index 0 =
// background / no attribute). Without from_scratch, every trunk and res5 tensor must come from `weights`:
// a missing one is a bua::Error naming the file and the tensor (it would otherwise stay random and frozen).
Checkpoint initial_training_model(const InitialModelOptions& options, const std::vector<std::string>& classes,
                                  const std::vector<std::string>& attributes);

}  // namespace bua
