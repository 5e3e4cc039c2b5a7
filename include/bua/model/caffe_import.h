// Maps the layers of a Caffe model (the released bottom-up-attention .caffemodel, or the ImageNet
// ResNet-101 one) onto our module tree. Caffe layer names are the key: conv1 / bn_conv1 / scale_conv1,
// res4b22_branch2a / bn4b22_branch2a / scale4b22_branch2a, rpn_conv/3x3, cls_score, cls_embedding, ...
// Frozen BatchNorm (mean, variance, scale factor) and Scale (gamma, beta) fold into one per-channel affine.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "bua/io/caffe_model.h"
#include "bua/model/detector.h"

namespace bua {

enum class CaffeImportScope {
  kFull,   // every parameter of the detector must come from the model, every model blob must be used
  kTrunk,  // only conv1..res5 (ImageNet initialisation); other detector weights keep their initial values
};

struct CaffeImportReport {
  std::vector<std::string> unused_layers;  // model layers with blobs that were not used (kTrunk only)
  std::vector<std::string> duplicated_layers;  // imported layers whose name appears more than once (last copy used)
};

// Copies the weights of `model` into `detector`. Throws bua::Error naming `source` and listing every missing,
// extra or mis-shaped layer and every blob holding NaN or inf; the detector is unchanged on error. Of several
// layers with one name the last is imported, as Caffe does, and every one must fit (Caffe aborts otherwise);
// each such name is logged as a warning.
CaffeImportReport import_caffe_weights(Detector& detector, const CaffeModel& model, CaffeImportScope scope,
                                       const std::string& source);

// The detector's tensors that an import of `scope` wrote: all of them (kFull), or only the trunk and res5
// (kTrunk). A trunk-only checkpoint holds just these, like the ImageNet caffemodel, so that training starts
// the RPN and heads from the original's fillers instead of whatever the detector was constructed with.
std::map<std::string, torch::Tensor> imported_state(const Detector& detector, CaffeImportScope scope);

}  // namespace bua
