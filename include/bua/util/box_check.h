// Boxes that come from the user (generate_tsv --boxes, test_net --rescore detections) are checked against
// bounds every real image meets, so a typo or a corrupt file is an error naming it, not an inf in the output
// or an inverted box scored as if it were real.
#pragma once
#include <string>

namespace bua {

// Larger than any image side a detector runs on, small enough that float32 keeps whole pixels.
constexpr double kMaxBoxCoordinate = 1e6;

// "" when x1, y1, x2, y2 are finite, within ±kMaxBoxCoordinate and ordered (x1 <= x2, y1 <= y2); else the
// problem in words ("coordinate 1e+39 is outside [-1e6, 1e6]").
std::string box_problem(double x1, double y1, double x2, double y2);

}  // namespace bua
