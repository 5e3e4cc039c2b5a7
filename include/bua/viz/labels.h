// Region labels as the original demo notebook (tools/demo.ipynb) makes them: object = argmax over the
// foreground classes, attribute = argmax over the real attributes, label "<attribute> <object>" when the
// attribute's probability exceeds a threshold (0.1), else "<object>"; names are the first synonym of the
// vocabulary line, lower-cased and stripped.
#pragma once
#include <torch/types.h>

#include <string>
#include <vector>

namespace bua {

std::string display_name(const std::string& vocab_line);

struct RegionLabel {
  int64_t object = 0;      // class index (1-based; 0 is background)
  float object_conf = 0;
  int64_t attribute = 0;   // attribute index (1-based); 0 when the model has none
  float attribute_conf = 0;
  std::string label;
};

// cls_prob [N,C]; attr_prob [N,A] or undefined.
std::vector<RegionLabel> region_labels(const torch::Tensor& cls_prob, const torch::Tensor& attr_prob,
                                       const std::vector<std::string>& classes,
                                       const std::vector<std::string>& attributes, double attr_thresh = 0.1);

}  // namespace bua
