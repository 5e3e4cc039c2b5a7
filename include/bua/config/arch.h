// The network's shape: everything that sizes the ResNet trunk, the RPN and the heads. One yml file per
// network (configs/*.yml); checkpoints embed it as YAML text so a model rebuilds without its file.
#pragma once
#include <string>
#include <vector>

namespace bua {

struct ArchConfig {
  std::string name = "resnet101_vg";
  std::vector<int> blocks_per_stage{3, 4, 23, 3};           // res2..res5
  int stem_channels = 64;                                   // conv1
  std::vector<int> bottleneck_channels{64, 128, 256, 512};  // branch2a/2b width per stage
  std::vector<int> out_channels{256, 512, 1024, 2048};      // block output per stage
  int res5_dilation = 2;  // res5 keeps stride 16 and dilates its 3x3 convs instead
  int rpn_channels = 512;
  std::vector<double> anchor_scales{4, 8, 16, 32};
  std::vector<double> anchor_ratios{0.5, 1, 2};
  int anchor_base_size = 16;
  int feat_stride = 16;  // image pixels per feature cell of res4 (the RPN's and ROI pool's input)
  int roi_pool_size = 14;
  int num_classes = 1601;    // including background (class 0)
  int num_attributes = 401;  // including "no attribute" (0)
  int attr_embed_dim = 256;  // cls_embedding outputs
  int attr_hidden = 512;     // fc_attr outputs
  bool has_attributes = true;
  double bn_eps = 1e-5;

  int num_anchors() const { return static_cast<int>(anchor_scales.size() * anchor_ratios.size()); }
  double spatial_scale() const { return 1.0 / feat_stride; }
};

// Every key is required and must be valid (counts and sizes positive, four stages, ...); unknown keys,
// missing keys and bad values are a bua::Error naming the source, the line and the key.
ArchConfig load_arch(const std::string& path);
ArchConfig arch_from_yaml_string(const std::string& yaml_text, const std::string& source = "<arch yaml>");
std::string to_yaml(const ArchConfig& arch);

// Throws bua::Error (prefixed with `source`) if a value is out of range; load_arch already calls it.
void validate_arch(const ArchConfig& arch, const std::string& source);

}  // namespace bua
