// A small synthetic Visual Genome under `data` (data/vg, data/genome with vocabularies under genome/synth and
// the split files), made by the tools as a user would: synth_vg, setup_vg, create_splits. For the tests that
// train on it (test_learning, test_train_route).
#pragma once
#include <filesystem>
#include <string>

#include "bua_test_paths.h"
#include "test_support.h"

namespace bua::testing {

// True when every tool succeeded; `images` drawn at 128 px, `held_out` images each in val and test.
inline bool make_synth_vg_data(const std::string& data, int images, int held_out) {
  namespace fs = std::filesystem;
  const std::string bin = BUA_BIN_DIR;
  if (run_command(bin + "/synth_vg --out " + data + "/vg --images " + std::to_string(images) + " --size 128 --seed 2 -q")
          .exit_code != 0)
    return false;
  if (run_command(bin + "/setup_vg --data-dir " + data + "/vg --out-dir " + data + "/genome -q").exit_code != 0)
    return false;
  // The dataset name vg_synth_* reads its vocabularies from genome/synth/.
  fs::create_directories(data + "/genome/synth");
  for (const char* k : {"objects", "attributes", "relations"})
    for (const auto& e : fs::directory_iterator(data + "/genome"))
      if (e.path().filename().string().rfind(std::string(k) + "_vocab_", 0) == 0)
        fs::copy_file(e.path(), data + "/genome/synth/" + k + "_vocab.txt");
  const std::string n = std::to_string(held_out);
  return run_command(bin + "/create_splits --image-data " + data + "/vg/image_data.json --out-dir " + data +
                     "/genome --val-size " + n + " --test-size " + n + " > /dev/null")
             .exit_code == 0;
}

}  // namespace bua::testing
