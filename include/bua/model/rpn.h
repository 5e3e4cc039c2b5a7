// Region proposal network of the released model: a 3x3 conv + ReLU on the res4 map, then 1x1 convs to 2A
// objectness scores (first A channels background, next A foreground, softmax over each pair) and 4A deltas.
// Proposal generation follows lib/rpn/proposal_layer.py step by step.
#pragma once
#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>

#include "bua/config/arch.h"

namespace bua {

struct RpnOutput {
  torch::Tensor logits;     // [N, 2A, H, W] raw rpn_cls_score
  torch::Tensor probs;      // [N, 2A, H, W] rpn_cls_prob_reshape: softmax over (bg a, fg a) pairs
  torch::Tensor deltas;     // [N, 4A, H, W] rpn_bbox_pred
};

class RpnHeadImpl : public torch::nn::Module {
 public:
  explicit RpnHeadImpl(const ArchConfig& arch);
  RpnOutput forward(const torch::Tensor& features);
  torch::nn::Conv2d conv{nullptr}, cls_score{nullptr}, bbox_pred{nullptr};
  int64_t num_anchors;
};
TORCH_MODULE(RpnHead);

// Softmax over the (background, foreground) pair of every anchor, as Caffe's reshape-softmax-reshape.
torch::Tensor rpn_pair_softmax(const torch::Tensor& logits, int64_t num_anchors);

struct ProposalOptions {
  TORCH_ARG(int64_t, pre_nms_top_n) = 6000;
  TORCH_ARG(int64_t, post_nms_top_n) = 300;
  TORCH_ARG(double, nms_thresh) = 0.7;
  TORCH_ARG(double, min_size) = 16;  // in input pixels at scale 1; multiplied by the image scale
};

struct Proposals {
  torch::Tensor boxes;   // [R,4] float32, input-blob pixels
  torch::Tensor scores;  // [R] foreground probability
};

// One image: probs [1,2A,H,W], deltas [1,4A,H,W], anchors [H*W*A,4]; im_info = (blob h, blob w, scale).
Proposals generate_proposals(const torch::Tensor& probs, const torch::Tensor& deltas, const torch::Tensor& anchors,
                             double blob_h, double blob_w, double scale, const ProposalOptions& options);

}  // namespace bua
