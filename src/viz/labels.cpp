#include "bua/viz/labels.h"

#include <torch/torch.h>

#include <algorithm>
#include <cctype>

namespace bua {

std::string display_name(const std::string& vocab_line) {
  std::string s = vocab_line.substr(0, vocab_line.find(','));
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  const auto b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

std::vector<RegionLabel> region_labels(const torch::Tensor& cls_prob, const torch::Tensor& attr_prob,
                                       const std::vector<std::string>& classes,
                                       const std::vector<std::string>& attributes, double attr_thresh) {
  const auto cp = cls_prob.to(torch::kFloat).cpu();
  const auto [oc, oi] = cp.narrow(1, 1, cp.size(1) - 1).max(1);
  torch::Tensor ac, ai;
  if (attr_prob.defined()) {
    const auto ap = attr_prob.to(torch::kFloat).cpu();
    std::tie(ac, ai) = ap.narrow(1, 1, ap.size(1) - 1).max(1);
  }
  std::vector<RegionLabel> out(static_cast<size_t>(cp.size(0)));
  for (int64_t i = 0; i < cp.size(0); ++i) {
    RegionLabel& l = out[static_cast<size_t>(i)];
    l.object = oi[i].item<int64_t>() + 1;
    l.object_conf = oc[i].item<float>();
    l.label = l.object < static_cast<int64_t>(classes.size()) ? display_name(classes[l.object]) : std::to_string(l.object);
    if (ai.defined()) {
      l.attribute = ai[i].item<int64_t>() + 1;
      l.attribute_conf = ac[i].item<float>();
      if (l.attribute_conf > attr_thresh && l.attribute < static_cast<int64_t>(attributes.size()))
        l.label = display_name(attributes[l.attribute]) + " " + l.label;
    }
  }
  return out;
}

}  // namespace bua
