// Initial weights of the layers training starts without: the original's train.prototxt fillers for the
// layers an ImageNet model does not have (net.copy_from copies only the layers it finds), and the random
// trunk for training without ImageNet weights. Every value is drawn from util/random.h's generator, so
// the initial network is the same function of the seed with every standard library.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "bua/model/detector.h"
#include "bua/util/random.h"

namespace bua {

// One layer the detector adds to the ImageNet trunk, with its train.prototxt filler: weight gaussian with
// this std (mean 0), bias (where the layer has one) constant 0.
struct NewLayerFiller {
  const char* caffe_name;  // "rpn_conv/3x3"
  const char* module;      // its module path here: "rpn.conv" (tensors "<module>.weight", "<module>.bias")
  double weight_std;
};

// rpn_conv/3x3, rpn_cls_score, rpn_bbox_pred, cls_score, bbox_pred, cls_embedding, fc_attr, attr_score:
// all gaussian std 0.01, biases 0 (bbox_pred too: 0.01 in this prototxt, not the 0.001 of the VGG16 ones).
const std::vector<NewLayerFiller>& new_layer_fillers();

// Fills every new layer the detector has (the attribute layers only with an attribute head) from the table,
// drawing from a generator seeded with `seed`.
void init_head_weights(Detector& detector, uint64_t seed);

// Whether a tensor (state name) belongs to a new layer, i.e. is not part of the ImageNet trunk.
bool is_new_layer_tensor(const std::string& name);

// Gaussian(0, std) in every element of a float32 tensor, drawn in element order (standard_normal).
void fill_normal(const torch::Tensor& tensor, double std, Rng& rng);

// Random initialisation for training without ImageNet weights: He-normal convolutions in the trunk and res5,
// and each residual branch entering its sum at 0.2 (the frozen affine of branch2c, as a trained network's
// last BatchNorm does), so activations keep their scale through the blocks instead of vanishing under
// Torch's default init (--batch-norm ignores that affine: its BatchNorms start at weight 1, bias 0). The new
// layers get the original's fillers (init_head_weights), except fc_attr: He-normal.
void init_from_scratch(Detector& detector, uint64_t seed);

}  // namespace bua
