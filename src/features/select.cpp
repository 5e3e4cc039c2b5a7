#include "bua/features/select.h"

#include <torch/torch.h>

#include "bua/ops/nms.h"
#include "bua/util/error.h"

namespace bua {

void check_selection_options(const SelectionOptions& o) {
  if (o.min_boxes < 0) fail("--min-boxes", "must be 0 or more, got " + std::to_string(o.min_boxes));
  if (o.max_boxes < o.min_boxes)
    fail("--min-boxes " + std::to_string(o.min_boxes) + " --max-boxes " + std::to_string(o.max_boxes),
         "--min-boxes must not exceed --max-boxes (10 and 100 adaptive, 36 and 36 fixed)");
  if (!(o.conf_thresh >= 0 && o.conf_thresh <= 1))
    fail("--conf-thresh", "must be a score in [0, 1], got " + std::to_string(o.conf_thresh));
}

Selection select_boxes(const torch::Tensor& boxes, const torch::Tensor& cls_prob, const SelectionOptions& o) {
  check_selection_options(o);
  Selection s;
  s.max_conf = nms_max_scores(boxes, cls_prob.narrow(1, 1, cls_prob.size(1) - 1), o.nms_thresh).to(torch::kFloat);
  // The original keeps max_conf in float64; its values are float32 scores, so comparing the float32 value
  // with the threshold in double is the same test.
  const auto passing = torch::nonzero(s.max_conf.to(torch::kDouble) >= o.conf_thresh).view(-1);
  const int64_t n = passing.size(0);
  if (n >= o.min_boxes && n <= o.max_boxes) {
    s.keep = passing;
  } else {
    const int64_t take = std::min(n < o.min_boxes ? o.min_boxes : o.max_boxes, s.max_conf.size(0));
    s.keep = detail::descending_order(s.max_conf).narrow(0, 0, take);
  }
  return s;
}

}  // namespace bua
