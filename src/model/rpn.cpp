#include "bua/model/rpn.h"

#include <torch/torch.h>

#include "bua/ops/nms.h"
#include "bua/structures/boxes.h"

namespace bua {

RpnHeadImpl::RpnHeadImpl(const ArchConfig& arch) : num_anchors(arch.num_anchors()) {
  const int64_t in = arch.out_channels.at(2);
  conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, arch.rpn_channels, 3).padding(1)));
  cls_score = register_module("cls_score", torch::nn::Conv2d(torch::nn::Conv2dOptions(arch.rpn_channels, 2 * num_anchors, 1)));
  bbox_pred = register_module("bbox_pred", torch::nn::Conv2d(torch::nn::Conv2dOptions(arch.rpn_channels, 4 * num_anchors, 1)));
}

torch::Tensor rpn_pair_softmax(const torch::Tensor& logits, int64_t num_anchors) {
  const auto n = logits.size(0), h = logits.size(2), w = logits.size(3);
  // reshape, not view: the logits may be channels-last.
  return torch::softmax(logits.reshape({n, 2, num_anchors * h, w}), 1).reshape({n, 2 * num_anchors, h, w});
}

RpnOutput RpnHeadImpl::forward(const torch::Tensor& features) {
  const auto hidden = torch::relu(conv->forward(features));
  RpnOutput out;
  out.logits = cls_score->forward(hidden);
  out.probs = rpn_pair_softmax(out.logits.to(torch::kFloat), num_anchors);
  out.deltas = bbox_pred->forward(hidden);
  return out;
}

Proposals generate_proposals(const torch::Tensor& probs, const torch::Tensor& deltas, const torch::Tensor& anchors,
                             double blob_h, double blob_w, double scale, const ProposalOptions& o) {
  const int64_t A = probs.size(1) / 2;
  // (1, C, H, W) → (H, W, C) so rows follow the anchors' (y, x, a) order.
  const auto scores = probs[0].narrow(0, A, A).permute({1, 2, 0}).reshape(-1).to(torch::kFloat);
  const auto d = deltas[0].permute({1, 2, 0}).reshape({-1, 4}).to(torch::kFloat);
  auto boxes = apply_box_deltas(anchors.to(d.device()), d);
  boxes = clip_boxes(boxes, blob_h, blob_w);
  const auto keep = boxes_at_least(boxes, o.min_size() * scale);
  boxes = boxes.index_select(0, keep);
  auto kept_scores = scores.index_select(0, keep);
  auto order = detail::descending_order(kept_scores);
  if (o.pre_nms_top_n() > 0 && order.size(0) > o.pre_nms_top_n()) order = order.narrow(0, 0, o.pre_nms_top_n());
  boxes = boxes.index_select(0, order);
  kept_scores = kept_scores.index_select(0, order);
  // NMS sorts again, as the original's cpu_nms does.
  auto survivors = nms(boxes, kept_scores, o.nms_thresh());
  if (o.post_nms_top_n() > 0 && survivors.size(0) > o.post_nms_top_n())
    survivors = survivors.narrow(0, 0, o.post_nms_top_n());
  return {boxes.index_select(0, survivors), kept_scores.index_select(0, survivors)};
}

}  // namespace bua
