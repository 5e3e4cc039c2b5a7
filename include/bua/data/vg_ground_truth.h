// A loaded Visual Genome split as the evaluator's ground truth (eval/vg_eval_data.h): the same boxes,
// classes and attributes the original's vg_eval reads from its roidb.
#pragma once
#include "bua/data/vg_dataset.h"
#include "bua/eval/vg_eval_data.h"

namespace bua {

// Unflipped records only (the evaluation never sees flipped copies); attributes without the 0 padding.
VgGroundTruth vg_ground_truth(const VgDataset& dataset);

}  // namespace bua
