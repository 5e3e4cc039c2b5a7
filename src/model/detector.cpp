#include "bua/model/detector.h"

#include <torch/torch.h>

#include "bua/model/anchors.h"
#include "bua/ops/roi_pool.h"

namespace bua {

DetectorImpl::DetectorImpl(const ArchConfig& arch) : arch_(arch) {
  trunk = register_module("trunk", Trunk(arch));
  rpn = register_module("rpn", RpnHead(arch));
  res5 = register_module("res5", Res5Head(arch));
  box_head = register_module("box_head", BoxHead(res5->out_channels(), arch.num_classes));
  if (arch.has_attributes) attr_head = register_module("attr_head", AttributeHead(res5->out_channels(), arch));
  cell_anchors_ = generate_anchors(arch.anchor_base_size, arch.anchor_ratios, arch.anchor_scales);
}

torch::Tensor DetectorImpl::features(const torch::Tensor& blob) { return trunk->forward(blob); }

Proposals DetectorImpl::propose(const RpnOutput& r, double blob_h, double blob_w, double scale,
                                const ProposalOptions& o) {
  const auto anchors = grid_anchors(cell_anchors_, r.probs.size(2), r.probs.size(3), arch_.feat_stride);
  return generate_proposals(r.probs, r.deltas, anchors, blob_h, blob_w, scale, o);
}

torch::Tensor DetectorImpl::pool(const torch::Tensor& features, const torch::Tensor& rois) {
  return roi_pool(features, rois.to(features.device()), arch_.roi_pool_size, arch_.spatial_scale());
}

HeadOutputs DetectorImpl::heads(const torch::Tensor& pooled, const torch::Tensor& attr_classes) {
  return classify(res5->forward(pooled), attr_classes);
}

HeadOutputs DetectorImpl::classify(const torch::Tensor& pool5, const torch::Tensor& attr_classes) {
  HeadOutputs h;
  h.pool5 = pool5;
  std::tie(h.cls_score, h.bbox_pred) = box_head->forward(h.pool5);
  h.cls_prob = torch::softmax(h.cls_score.to(torch::kFloat), 1);
  if (attr_head) {
    const auto classes = attr_classes.defined() ? attr_classes : h.cls_score.argmax(1);
    h.attr_score = attr_head->forward(h.pool5, classes);
    h.attr_prob = torch::softmax(h.attr_score.to(torch::kFloat), 1);
  }
  return h;
}

}  // namespace bua
