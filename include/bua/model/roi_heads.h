// The per-ROI heads on pool5: object classification, class-specific box regression, and the attribute head
// of the bottom-up-attention model (the embedding of the predicted or ground-truth class joins pool5,
// then fc_attr + ReLU and attr_score).
#pragma once
#include <torch/nn/module.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>

#include "bua/config/arch.h"

namespace bua {

class BoxHeadImpl : public torch::nn::Module {
 public:
  BoxHeadImpl(int64_t in_features, int64_t num_classes);
  // Returns (cls_score [R,C], bbox_pred [R,4C]).
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& pool5);
  torch::nn::Linear cls_score{nullptr}, bbox_pred{nullptr};
};
TORCH_MODULE(BoxHead);

class AttributeHeadImpl : public torch::nn::Module {
 public:
  AttributeHeadImpl(int64_t in_features, const ArchConfig& arch);
  // attr_score [R,A] for pool5 [R,D] and one class index per ROI.
  torch::Tensor forward(const torch::Tensor& pool5, const torch::Tensor& classes);
  torch::nn::Embedding cls_embedding{nullptr};
  torch::nn::Linear fc_attr{nullptr}, attr_score{nullptr};
};
TORCH_MODULE(AttributeHead);

}  // namespace bua
