// The original does not score its detections directly: it first writes them to one text file per class,
// "<image_id> <score> <x1> <y1> <x2> <y2>" with the score printed to 3 decimals and each coordinate
// printed +1 (the VOC devkit's 1-based convention) to 1 decimal, then reads that file back and scores
// what it reads, against gt boxes that are not shifted. Its published numbers include both the rounding
// (which creates score ties) and the shift, so we apply the same round trip.
#pragma once
#include <string>

#include "bua/eval/vg_eval_data.h"

namespace bua {

// Python's '{:.Nf}'.format(value): correctly rounded fixed notation (ties to even on the exact binary
// value); "nan", "inf", "-inf" for non-finite values.
std::string python_fixed(double value, int decimals);

// A detection as the original reads it back from its results file: score = float('%.3f' % score),
// each coordinate = float('%.1f' % (x + 1)). The +1 is float64 arithmetic also for the float32 boxes of
// test_net (NumPy 1.x promotes a float32 scalar plus a Python int to float64).
EvalDetection through_results_text(const EvalDetection& d);

// One line of the original's detections_<split>_<class>.txt file (without the newline).
std::string results_text_line(int64_t image_id, const EvalDetection& d);

}  // namespace bua
