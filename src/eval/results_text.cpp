#include "bua/eval/results_text.h"

#include <charconv>
#include <cmath>

#include "bua/util/error.h"

namespace bua {
namespace {

// float(text) of what python_fixed printed; non-finite values pass through unchanged, as
// float('nan') / float('inf') give them back.
double reread(double value, int decimals) {
  if (!std::isfinite(value)) return value;
  std::string text = python_fixed(value, decimals);
  double back = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), back);
  if (ec != std::errc() || end != text.data() + text.size()) fail("results text", "cannot read back \"" + text + "\"");
  return back;
}

}  // namespace

std::string python_fixed(double value, int decimals) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  // std::to_chars is exact and locale-free, like Python's float formatting (printf would follow LC_NUMERIC).
  char buf[400];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::fixed, decimals);
  if (ec != std::errc()) fail("python_fixed", "number does not fit the buffer");
  return std::string(buf, end);
}

EvalDetection through_results_text(const EvalDetection& d) {
  return {reread(d.x1 + 1.0, 1), reread(d.y1 + 1.0, 1), reread(d.x2 + 1.0, 1), reread(d.y2 + 1.0, 1),
          reread(d.score, 3)};
}

std::string results_text_line(int64_t image_id, const EvalDetection& d) {
  return std::to_string(image_id) + " " + python_fixed(d.score, 3) + " " + python_fixed(d.x1 + 1.0, 1) + " " +
         python_fixed(d.y1 + 1.0, 1) + " " + python_fixed(d.x2 + 1.0, 1) + " " + python_fixed(d.y2 + 1.0, 1);
}

}  // namespace bua
