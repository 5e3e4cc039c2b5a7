#include "bua/model/roi_heads.h"

#include <torch/torch.h>

namespace bua {

BoxHeadImpl::BoxHeadImpl(int64_t in, int64_t num_classes) {
  cls_score = register_module("cls_score", torch::nn::Linear(in, num_classes));
  bbox_pred = register_module("bbox_pred", torch::nn::Linear(in, 4 * num_classes));
}

std::pair<torch::Tensor, torch::Tensor> BoxHeadImpl::forward(const torch::Tensor& pool5) {
  return {cls_score->forward(pool5), bbox_pred->forward(pool5)};
}

AttributeHeadImpl::AttributeHeadImpl(int64_t in, const ArchConfig& arch) {
  cls_embedding = register_module("cls_embedding", torch::nn::Embedding(arch.num_classes, arch.attr_embed_dim));
  fc_attr = register_module("fc_attr", torch::nn::Linear(in + arch.attr_embed_dim, arch.attr_hidden));
  attr_score = register_module("attr_score", torch::nn::Linear(arch.attr_hidden, arch.num_attributes));
}

torch::Tensor AttributeHeadImpl::forward(const torch::Tensor& pool5, const torch::Tensor& classes) {
  const auto emb = cls_embedding->forward(classes).to(pool5.dtype());
  const auto hidden = torch::relu(fc_attr->forward(torch::cat({pool5, emb}, 1)));
  return attr_score->forward(hidden);
}

}  // namespace bua
