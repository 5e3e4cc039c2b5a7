// Checkpoints: one file that carries everything needed to use a model — the weights, the architecture
// (configs/*.yml text) and the class and attribute vocabularies — plus, for training snapshots, the solver
// state. The file is written with torch::pickle_save, the format of Python's torch.save, so
// `torch.load("model.pt")` in Python returns a plain dict of tensors, strings and lists.
#pragma once
#include <torch/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bua/config/arch.h"
#include "bua/model/detector.h"

namespace bua {

struct Checkpoint {
  ArchConfig arch;
  std::vector<std::string> classes;     // index 0 = __background__; a line may hold comma-separated synonyms
  std::vector<std::string> attributes;  // index 0 = __no_attribute__
  std::map<std::string, torch::Tensor> state;  // parameters and buffers by their module path
  std::map<std::string, torch::Tensor> extra;  // solver state and the like (momentum buffers ...)
  int64_t iteration = 0;
  std::string config_yaml;  // the run's effective config, for the record
};

void save_checkpoint(const Checkpoint& ckpt, const std::string& path);  // atomic: temp file + rename
Checkpoint load_checkpoint(const std::string& path);                   // throws bua::Error naming the file

// Module state ↔ checkpoint state; loading checks that names and shapes match exactly.
std::map<std::string, torch::Tensor> state_of(const torch::nn::Module& module);
void load_state(torch::nn::Module& module, const std::map<std::string, torch::Tensor>& state, const std::string& source);

// A model ready to run, with its vocabularies.
struct LoadedModel {
  Detector detector{nullptr};
  Checkpoint checkpoint;
};
LoadedModel load_model(const std::string& path, const torch::Device& device);

// Vocabulary files in the released format: one class per line (synonyms comma-separated); `first` is
// prepended as index 0 (__background__ / __no_attribute__).
std::vector<std::string> read_vocab_file(const std::string& path, const std::string& first);

}  // namespace bua
