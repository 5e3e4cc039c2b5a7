#include "bua/model/caffe_import.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

#include "bua/model/checkpoint.h"
#include "bua/util/error.h"
#include "bua/util/log.h"

namespace bua {
namespace {

std::string shape_str(const std::vector<int64_t>& s) {
  std::ostringstream o;
  o << "(";
  for (size_t i = 0; i < s.size(); ++i) o << (i ? "," : "") << s[i];
  o << ")";
  return o.str();
}

// Collects target tensors and reports problems; nothing is written until every layer checks out.
class Importer {
 public:
  Importer(const CaffeModel& model) : model_(model) {}

  // Blob `index` of layer `layer`, checked against `shape`; nullptr (and a recorded problem) otherwise.
  // Caffe's copy_from copies every source layer of a name in file order, aborting on one whose blobs do not
  // fit: so every copy must fit, and the last one's values are those kept.
  const CaffeBlob* blob(const std::string& layer, size_t index, const std::vector<int64_t>& shape, size_t expected_blobs) {
    const std::vector<const CaffeLayer*> copies = model_.find_all(layer);
    if (copies.empty()) {
      problem("missing layer " + layer);
      return nullptr;
    }
    used_.insert(layer);
    if (copies.size() > 1) duplicated_[layer] = copies.size();
    bool fits = true;
    for (size_t k = 0; k < copies.size(); ++k) {
      const std::string name = copies.size() == 1 ? "layer " + layer
                                                  : "layer " + layer + " (copy " + std::to_string(k + 1) + " of " +
                                                        std::to_string(copies.size()) + ")";
      const CaffeLayer& l = *copies[k];
      if (l.blobs.size() != expected_blobs) {
        problem(name + " has " + std::to_string(l.blobs.size()) + " blobs, expected " + std::to_string(expected_blobs));
        fits = false;
      } else if (!blob_shape_matches(l.blobs[index], shape)) {
        problem(name + " blob " + std::to_string(index) + " has shape " + shape_str(l.blobs[index].shape) +
                ", expected " + shape_str(shape));
        fits = false;
      }
    }
    if (!fits) return nullptr;
    const CaffeBlob& b = copies.back()->blobs[index];
    // NaN or inf weights load fine but make every detection fail later; refuse them here, where the layer is known.
    size_t bad = 0, first = 0;
    for (size_t i = 0; i < b.data.size(); ++i)
      if (!std::isfinite(b.data[i]) && bad++ == 0) first = i;
    if (bad > 0) {
      problem("layer " + layer + " blob " + std::to_string(index) + " holds " + std::to_string(bad) +
              " NaN/inf values (the first at element " + std::to_string(first) + ")");
      return nullptr;
    }
    return &b;
  }

  // Plain copy of blob → tensor.
  void copy(const torch::Tensor& dst, const std::string& layer, size_t index, size_t expected_blobs) {
    const CaffeBlob* b = blob(layer, index, dst.sizes().vec(), expected_blobs);
    if (b) writes_.emplace_back(dst, torch::tensor(b->data, torch::kFloat).view(dst.sizes()));
  }

  // conv (no bias) + BatchNorm + Scale → ConvAffine.
  void conv_affine(ConvAffineImpl& m, const std::string& conv, const std::string& bn, const std::string& scale,
                   double eps) {
    copy(m.conv->weight, conv, 0, 1);
    const int64_t c = m.scale.size(0);
    const CaffeBlob* mean = blob(bn, 0, {c}, 3);
    const CaffeBlob* var = blob(bn, 1, {c}, 3);
    const CaffeBlob* factor = blob(bn, 2, {1}, 3);
    const CaffeBlob* gamma = blob(scale, 0, {c}, 2);
    const CaffeBlob* beta = blob(scale, 1, {c}, 2);
    if (!mean || !var || !factor || !gamma || !beta) return;
    // Caffe: statistics = stored / factor (0 when factor is 0); y = (x - mean) / sqrt(var + eps) * gamma + beta.
    const double f = factor->data[0] == 0 ? 0.0 : 1.0 / factor->data[0];
    auto s = torch::empty({c}, torch::kDouble), b = torch::empty({c}, torch::kDouble);
    for (int64_t i = 0; i < c; ++i) {
      const double mu = mean->data[i] * f, v = var->data[i] * f;
      const double k = gamma->data[i] / std::sqrt(v + eps);
      s[i] = k;
      b[i] = beta->data[i] - mu * k;
    }
    // A negative variance or a tiny scale factor folds to NaN or inf even from finite blobs.
    if (!torch::isfinite(s.to(torch::kFloat)).all().item<bool>() || !torch::isfinite(b.to(torch::kFloat)).all().item<bool>()) {
      problem("layers " + bn + " and " + scale + " fold to a non-finite scale or shift (negative variance, or a scale "
              "factor near 0?)");
      return;
    }
    writes_.emplace_back(m.scale, s.to(torch::kFloat));
    writes_.emplace_back(m.bias, b.to(torch::kFloat));
  }

  void blocks(std::vector<std::pair<std::string, Bottleneck>>& bs, double eps) {
    for (auto& [name, block] : bs) {
      const std::string id = name.substr(3);  // "res4b22" → "4b22"
      auto one = [&](ConvAffine& m, const std::string& branch) {
        if (m) conv_affine(*m, name + "_" + branch, "bn" + id + "_" + branch, "scale" + id + "_" + branch, eps);
      };
      one(block->branch1, "branch1");
      one(block->branch2a, "branch2a");
      one(block->branch2b, "branch2b");
      one(block->branch2c, "branch2c");
    }
  }

  std::vector<std::string> unused() const {
    std::vector<std::string> u;
    for (const auto& l : model_.layers)
      if (!l.blobs.empty() && !used_.count(l.name)) u.push_back(l.name);
    return u;
  }

  // Layer name → how many layers of the model have it, for the names used that appear more than once.
  const std::map<std::string, size_t>& duplicated() const { return duplicated_; }

  void commit(const std::string& source, bool strict) {
    auto problems = problems_;
    if (strict)
      for (const auto& u : unused()) problems.push_back("layer " + u + " is not part of the architecture");
    if (!problems.empty()) {
      std::string msg = "Caffe weights do not match the architecture (" + std::to_string(problems.size()) + " problems):";
      for (const auto& p : problems) msg += "\n  " + p;
      fail(source, msg);
    }
    torch::NoGradGuard no_grad;
    for (auto& [dst, src] : writes_) dst.copy_(src);
    for (const auto& [layer, n] : duplicated_)
      log_warn(source + ": layer " + layer + " appears " + std::to_string(n) +
               " times; its last copy was imported, as Caffe's copy_from does");
  }

 private:
  void problem(const std::string& text) {
    if (std::find(problems_.begin(), problems_.end(), text) == problems_.end()) problems_.push_back(text);
  }

  const CaffeModel& model_;
  std::vector<std::string> problems_;
  std::set<std::string> used_;
  std::map<std::string, size_t> duplicated_;
  std::vector<std::pair<torch::Tensor, torch::Tensor>> writes_;
};

void linear(Importer& im, torch::nn::LinearImpl& l, const std::string& layer) {
  im.copy(l.weight, layer, 0, 2);
  im.copy(l.bias, layer, 1, 2);
}

void conv_with_bias(Importer& im, torch::nn::Conv2dImpl& c, const std::string& layer) {
  im.copy(c.weight, layer, 0, 2);
  im.copy(c.bias, layer, 1, 2);
}

}  // namespace

CaffeImportReport import_caffe_weights(Detector& detector, const CaffeModel& model, CaffeImportScope scope,
                                       const std::string& source) {
  Importer im(model);
  const double eps = detector->arch().bn_eps;
  im.conv_affine(*detector->trunk->conv1, "conv1", "bn_conv1", "scale_conv1", eps);
  im.blocks(detector->trunk->blocks, eps);
  im.blocks(detector->res5->blocks, eps);
  if (scope == CaffeImportScope::kFull) {
    conv_with_bias(im, *detector->rpn->conv, "rpn_conv/3x3");
    conv_with_bias(im, *detector->rpn->cls_score, "rpn_cls_score");
    conv_with_bias(im, *detector->rpn->bbox_pred, "rpn_bbox_pred");
    linear(im, *detector->box_head->cls_score, "cls_score");
    linear(im, *detector->box_head->bbox_pred, "bbox_pred");
    if (detector->attr_head) {
      im.copy(detector->attr_head->cls_embedding->weight, "cls_embedding", 0, 1);
      linear(im, *detector->attr_head->fc_attr, "fc_attr");
      linear(im, *detector->attr_head->attr_score, "attr_score");
    }
  }
  im.commit(source, scope == CaffeImportScope::kFull);
  CaffeImportReport report;
  if (scope == CaffeImportScope::kTrunk) report.unused_layers = im.unused();
  for (const auto& [layer, n] : im.duplicated()) report.duplicated_layers.push_back(layer);
  return report;
}

std::map<std::string, torch::Tensor> imported_state(const Detector& detector, CaffeImportScope scope) {
  auto state = state_of(*detector);
  if (scope == CaffeImportScope::kFull) return state;
  std::map<std::string, torch::Tensor> trunk;
  for (auto& [name, t] : state)
    if (name.rfind("trunk.", 0) == 0 || name.rfind("res5.", 0) == 0) trunk.emplace(name, t);
  return trunk;
}

}  // namespace bua
