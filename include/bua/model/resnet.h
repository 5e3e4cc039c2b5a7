// ResNet in the original MSRA Caffe form (the released model's trunk and res5 head): convolutions without
// bias, each followed by a frozen BatchNorm+Scale folded into one per-channel affine, the stride of a stage
// on its first 1x1 convolution, Caffe's ceil-mode max pool after conv1. Module names follow the Caffe layer
// names (res4b22.branch2a ...) so importing a .caffemodel is a mechanical rename.
#pragma once
#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>

#include <string>
#include <vector>

#include "bua/config/arch.h"

namespace bua {

struct ConvAffineOptions {
  ConvAffineOptions(int64_t in, int64_t out, int64_t kernel) : in_(in), out_(out), kernel_(kernel) {}
  TORCH_ARG(int64_t, in);
  TORCH_ARG(int64_t, out);
  TORCH_ARG(int64_t, kernel);
  TORCH_ARG(int64_t, stride) = 1;
  TORCH_ARG(int64_t, padding) = 0;
  TORCH_ARG(int64_t, dilation) = 1;
};

// conv (no bias) → y * scale + bias, with scale/bias the folded frozen BatchNorm and Scale (buffers).
class ConvAffineImpl : public torch::nn::Module {
 public:
  explicit ConvAffineImpl(const ConvAffineOptions& options);
  torch::Tensor forward(const torch::Tensor& x);
  // Inference only: folds the affine into the convolution (weight * scale, bias) so each layer is one
  // convolution with bias, optionally with channels-last weights (what GPU tensor cores want).
  void fuse(bool channels_last);
  // Training from scratch: a BatchNorm on batch statistics (learnable weight and bias, running averages;
  // starting at 1, 0, 0, 1) stands in for the frozen affine, which it ignores. batch_norm_affine() turns
  // it back into scale/bias — the trained layer is then the released kind again. Registered as "batch_norm".
  void enable_batch_norm(double momentum);
  torch::nn::Conv2d conv{nullptr};
  torch::Tensor scale, bias;
  torch::nn::BatchNorm2d batch_norm{nullptr};

 private:
  ConvAffineOptions options_;
  torch::Tensor fused_weight_, fused_bias_;
};
TORCH_MODULE(ConvAffine);

struct BottleneckOptions {
  BottleneckOptions(int64_t in, int64_t mid, int64_t out) : in_(in), mid_(mid), out_(out) {}
  TORCH_ARG(int64_t, in);
  TORCH_ARG(int64_t, mid);
  TORCH_ARG(int64_t, out);
  TORCH_ARG(int64_t, stride) = 1;    // on branch2a and branch1
  TORCH_ARG(int64_t, dilation) = 1;  // of the 3x3 branch2b (padding = dilation)
};

// relu(branch2c(relu(branch2b(relu(branch2a(x))))) + shortcut), shortcut = branch1(x) when shapes change.
class BottleneckImpl : public torch::nn::Module {
 public:
  explicit BottleneckImpl(const BottleneckOptions& options);
  torch::Tensor forward(const torch::Tensor& x);
  ConvAffine branch1{nullptr}, branch2a{nullptr}, branch2b{nullptr}, branch2c{nullptr};
};
TORCH_MODULE(Bottleneck);

// The eps of the BatchNorms that enable_batch_norm creates: Caffe's default, which the released network uses.
constexpr double kBatchNormEps = 1e-5;

// The frozen affine equal to a BatchNorm (weight, bias, running mean and variance, eps): {scale, bias}.
std::pair<torch::Tensor, torch::Tensor> batch_norm_affine(const torch::Tensor& weight, const torch::Tensor& bias,
                                                          const torch::Tensor& mean, const torch::Tensor& var, double eps);

// ConvAffine::enable_batch_norm on every layer of `module`; returns how many.
int enable_batch_norm(torch::nn::Module& module, double momentum);

// Applies ConvAffine::fuse to every layer of `module` (trunk, res5 head or a whole detector).
void fuse_conv_affine(torch::nn::Module& module, bool channels_last);

// Caffe block names of stage `stage` (2..5) with `count` blocks: a, b, c for up to 3 blocks, else a, b1, b2, ...
std::vector<std::string> block_names(int stage, int count);

// res1 (conv1 + pool1) through res4: image blob [N,3,H,W] → stride-16 feature map.
class TrunkImpl : public torch::nn::Module {
 public:
  explicit TrunkImpl(const ArchConfig& arch);
  torch::Tensor forward(const torch::Tensor& x);
  ConvAffine conv1{nullptr};
  std::vector<std::pair<std::string, Bottleneck>> blocks;  // res2a ... res4bN in order
  int64_t out_channels() const { return out_channels_; }

 private:
  int64_t out_channels_;
};
TORCH_MODULE(Trunk);

// res5 on pooled ROI maps (stride 1, dilated 3x3) followed by global average pooling: [R,C,P,P] → pool5 [R,D].
class Res5HeadImpl : public torch::nn::Module {
 public:
  explicit Res5HeadImpl(const ArchConfig& arch);
  torch::Tensor forward(const torch::Tensor& pooled);
  std::vector<std::pair<std::string, Bottleneck>> blocks;
  int64_t out_channels() const { return out_channels_; }

 private:
  int64_t out_channels_;
};
TORCH_MODULE(Res5Head);

}  // namespace bua
