#include "bua/model/resnet.h"

#include <torch/torch.h>

#include "bua/util/error.h"

namespace bua {

ConvAffineImpl::ConvAffineImpl(const ConvAffineOptions& o) : options_(o) {
  conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(o.in(), o.out(), o.kernel())
                                                       .stride(o.stride())
                                                       .padding(o.padding())
                                                       .dilation(o.dilation())
                                                       .bias(false)));
  scale = register_buffer("scale", torch::ones({o.out()}));
  bias = register_buffer("bias", torch::zeros({o.out()}));
}

void ConvAffineImpl::fuse(bool channels_last) {
  torch::NoGradGuard no_grad;
  fused_weight_ = conv->weight * scale.to(conv->weight.dtype()).view({-1, 1, 1, 1});
  if (channels_last) fused_weight_ = fused_weight_.contiguous(torch::MemoryFormat::ChannelsLast);
  fused_bias_ = bias.to(conv->weight.dtype());
}

void ConvAffineImpl::enable_batch_norm(double momentum) {
  if (batch_norm) return;
  batch_norm = register_module("batch_norm", torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(options_.out())
                                                                        .eps(kBatchNormEps)
                                                                        .momentum(momentum)));
  batch_norm->to(conv->weight.device(), conv->weight.scalar_type());
  batch_norm->train(is_training());
}

std::pair<torch::Tensor, torch::Tensor> batch_norm_affine(const torch::Tensor& weight, const torch::Tensor& bias,
                                                          const torch::Tensor& mean, const torch::Tensor& var, double eps) {
  const auto s = weight / torch::sqrt(var + eps);
  return {s, bias - mean * s};
}

int enable_batch_norm(torch::nn::Module& module, double momentum) {
  int n = 0;
  for (auto& m : module.modules(/*include_self=*/true))
    if (auto* layer = dynamic_cast<ConvAffineImpl*>(m.get())) layer->enable_batch_norm(momentum), ++n;
  return n;
}

void fuse_conv_affine(torch::nn::Module& module, bool channels_last) {
  for (auto& m : module.modules(/*include_self=*/true))
    if (auto* layer = dynamic_cast<ConvAffineImpl*>(m.get())) layer->fuse(channels_last);
}

torch::Tensor ConvAffineImpl::forward(const torch::Tensor& x) {
  if (fused_weight_.defined()) {
    const auto& o = options_;
    return torch::conv2d(x, fused_weight_, fused_bias_, o.stride(), o.padding(), o.dilation());
  }
  auto y = conv->forward(x);
  if (batch_norm) return batch_norm->forward(y);
  return torch::addcmul(bias.to(y.dtype()).view({1, -1, 1, 1}), y, scale.to(y.dtype()).view({1, -1, 1, 1}));
}

BottleneckImpl::BottleneckImpl(const BottleneckOptions& o) {
  if (o.in() != o.out() || o.stride() != 1)
    branch1 = register_module("branch1", ConvAffine(ConvAffineOptions(o.in(), o.out(), 1).stride(o.stride())));
  branch2a = register_module("branch2a", ConvAffine(ConvAffineOptions(o.in(), o.mid(), 1).stride(o.stride())));
  branch2b = register_module(
      "branch2b", ConvAffine(ConvAffineOptions(o.mid(), o.mid(), 3).padding(o.dilation()).dilation(o.dilation())));
  branch2c = register_module("branch2c", ConvAffine(ConvAffineOptions(o.mid(), o.out(), 1)));
}

torch::Tensor BottleneckImpl::forward(const torch::Tensor& x) {
  auto y = torch::relu(branch2a->forward(x));
  y = torch::relu(branch2b->forward(y));
  y = branch2c->forward(y);
  return torch::relu(y + (branch1 ? branch1->forward(x) : x));
}

std::vector<std::string> block_names(int stage, int count) {
  std::vector<std::string> names;
  const std::string prefix = "res" + std::to_string(stage);
  for (int i = 0; i < count; ++i) {
    if (count <= 3) names.push_back(prefix + static_cast<char>('a' + i));
    else names.push_back(i == 0 ? prefix + "a" : prefix + "b" + std::to_string(i));
  }
  return names;
}

namespace {

// Appends the blocks of one stage to `blocks`, registering them under their Caffe names.
int64_t add_stage(torch::nn::Module& owner, std::vector<std::pair<std::string, Bottleneck>>& blocks,
                  const ArchConfig& arch, int stage, int64_t in, int64_t stride, int64_t dilation) {
  const int i = stage - 2;
  const int64_t mid = arch.bottleneck_channels.at(i), out = arch.out_channels.at(i);
  const auto names = block_names(stage, arch.blocks_per_stage.at(i));
  for (size_t b = 0; b < names.size(); ++b) {
    auto opts = BottleneckOptions(b == 0 ? in : out, mid, out).stride(b == 0 ? stride : 1).dilation(dilation);
    blocks.emplace_back(names[b], owner.register_module(names[b], Bottleneck(opts)));
  }
  return out;
}

void check_arch(const ArchConfig& arch) {
  if (arch.blocks_per_stage.size() != 4 || arch.bottleneck_channels.size() != 4 || arch.out_channels.size() != 4)
    fail("architecture '" + arch.name + "'", "blocks_per_stage, bottleneck_channels and out_channels need 4 entries");
}

}  // namespace

TrunkImpl::TrunkImpl(const ArchConfig& arch) {
  check_arch(arch);
  conv1 = register_module("conv1", ConvAffine(ConvAffineOptions(3, arch.stem_channels, 7).stride(2).padding(3)));
  int64_t c = arch.stem_channels;
  c = add_stage(*this, blocks, arch, 2, c, 1, 1);
  c = add_stage(*this, blocks, arch, 3, c, 2, 1);
  c = add_stage(*this, blocks, arch, 4, c, 2, 1);
  out_channels_ = c;
}

torch::Tensor TrunkImpl::forward(const torch::Tensor& x) {
  auto y = torch::relu(conv1->forward(x));
  // Caffe rounds pooling output sizes up: ceil_mode.
  y = torch::max_pool2d(y, {3, 3}, {2, 2}, {0, 0}, {1, 1}, /*ceil_mode=*/true);
  for (auto& [name, block] : blocks) y = block->forward(y);
  return y;
}

Res5HeadImpl::Res5HeadImpl(const ArchConfig& arch) {
  check_arch(arch);
  out_channels_ = add_stage(*this, blocks, arch, 5, arch.out_channels.at(2), 1, arch.res5_dilation);
}

torch::Tensor Res5HeadImpl::forward(const torch::Tensor& pooled) {
  auto y = pooled;
  for (auto& [name, block] : blocks) y = block->forward(y);
  return y.mean({2, 3});
}

}  // namespace bua
