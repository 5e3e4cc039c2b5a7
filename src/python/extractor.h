// bua.Extractor: a checkpoint loaded once, run on images from Python. The network runs without the GIL, one
// call at a time per extractor (a mutex); records come back as dicts (records.h).
#pragma once
#include <pybind11/pybind11.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bua/features/extractor.h"
#include "bua/model/checkpoint.h"

namespace bua::python {

// What an extractor and the iterators it hands out share: an iterator may outlive its extractor.
struct ExtractorState {
  LoadedModel model;
  ExtractOptions options;
  std::mutex network;  // one batch on the detector at a time; taken only with the GIL released
};

struct ExtractorArgs {
  std::string net, device = "cpu", dtype = "fp32";
  int64_t min_boxes = 10, max_boxes = 100;
  double conf_thresh = 0.2;
  std::vector<std::string> cfg_files;
  std::string box_source = "proposals", exif = "apply";
};

// Checks the arguments (naming the generate_tsv flag each sets), loads the checkpoint on the device and readies it
// for inference as generate_tsv does. Releases the GIL while loading.
std::shared_ptr<ExtractorState> load_extractor(const ExtractorArgs& args);

}  // namespace bua::python
