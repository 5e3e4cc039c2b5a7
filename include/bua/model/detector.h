// The bottom-up-attention Faster R-CNN: ResNet C4 trunk → RPN → Caffe ROI pooling → res5 → pool5 →
// class, box and attribute heads. The stages are public so callers can batch them (trunk per image, heads over
// the ROIs of many images) and tests can compare each with the original's blobs.
#pragma once
#include <torch/nn/module.h>

#include "bua/config/arch.h"
#include "bua/model/resnet.h"
#include "bua/model/roi_heads.h"
#include "bua/model/rpn.h"

namespace bua {

struct HeadOutputs {
  torch::Tensor pool5;      // [R,D] pool5_flat, the region feature
  torch::Tensor cls_score;  // [R,C]
  torch::Tensor cls_prob;   // [R,C] float32
  torch::Tensor bbox_pred;  // [R,4C] raw deltas
  torch::Tensor attr_score; // [R,A] (undefined without an attribute head)
  torch::Tensor attr_prob;  // [R,A] float32
};

class DetectorImpl : public torch::nn::Module {
 public:
  explicit DetectorImpl(const ArchConfig& arch);

  // res4 features of an image blob [1,3,H,W].
  torch::Tensor features(const torch::Tensor& blob);
  // RPN outputs and proposals of one image, in blob pixels.
  Proposals propose(const RpnOutput& rpn_out, double blob_h, double blob_w, double scale, const ProposalOptions& o);
  // Caffe ROI pooling of rois [R,5] (batch index, x1, y1, x2, y2 in blob pixels) on features.
  torch::Tensor pool(const torch::Tensor& features, const torch::Tensor& rois);
  // res5 + heads on pooled maps [R,C,P,P]. The attribute head reads `attr_classes` when given (training:
  // ground-truth labels), else the argmax of cls_score, background included, as the released test net does.
  HeadOutputs heads(const torch::Tensor& pooled, const torch::Tensor& attr_classes = {});
  // The heads after res5: class, box and attribute outputs of pool5 [R,D] (heads = res5 then classify).
  HeadOutputs classify(const torch::Tensor& pool5, const torch::Tensor& attr_classes = {});

  const ArchConfig& arch() const { return arch_; }
  const torch::Tensor& cell_anchors() const { return cell_anchors_; }

  Trunk trunk{nullptr};
  RpnHead rpn{nullptr};
  Res5Head res5{nullptr};
  BoxHead box_head{nullptr};
  AttributeHead attr_head{nullptr};

 private:
  ArchConfig arch_;
  torch::Tensor cell_anchors_;  // [A,4] float64
};
TORCH_MODULE(Detector);

}  // namespace bua
