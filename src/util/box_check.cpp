#include "bua/util/box_check.h"

#include <cmath>
#include <sstream>

namespace bua {

std::string box_problem(double x1, double y1, double x2, double y2) {
  for (double v : {x1, y1, x2, y2}) {
    std::ostringstream text;
    text << v;
    if (!std::isfinite(v)) return "coordinate " + text.str() + " is not a finite number";
    if (std::fabs(v) > kMaxBoxCoordinate) return "coordinate " + text.str() + " is outside [-1e6, 1e6]";
  }
  if (x2 < x1) return "x2 < x1 (an inverted box)";
  if (y2 < y1) return "y2 < y1 (an inverted box)";
  return "";
}

}  // namespace bua
