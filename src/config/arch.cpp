#include "bua/config/arch.h"

#include <cmath>
#include <set>

#include "bua/util/error.h"
#include "yaml_fields.h"

namespace bua {
namespace {

using config_detail::FieldPtr;
using config_detail::location;

struct ArchKey {
  const char* key;
  FieldPtr (*member)(ArchConfig& arch);
};

// clang-format off
#define BUA_ARCH_KEY(name) {#name, [](ArchConfig& a) -> FieldPtr { return &a.name; }}
// clang-format on

// The one table of architecture keys: reading, the required-key check and printing all follow it.
const std::vector<ArchKey>& arch_key_table() {
  // clang-format off
  static const std::vector<ArchKey> table = {
      BUA_ARCH_KEY(name),
      BUA_ARCH_KEY(blocks_per_stage),
      BUA_ARCH_KEY(stem_channels),
      BUA_ARCH_KEY(bottleneck_channels),
      BUA_ARCH_KEY(out_channels),
      BUA_ARCH_KEY(res5_dilation),
      BUA_ARCH_KEY(rpn_channels),
      BUA_ARCH_KEY(anchor_scales),
      BUA_ARCH_KEY(anchor_ratios),
      BUA_ARCH_KEY(anchor_base_size),
      BUA_ARCH_KEY(feat_stride),
      BUA_ARCH_KEY(roi_pool_size),
      BUA_ARCH_KEY(num_classes),
      BUA_ARCH_KEY(num_attributes),
      BUA_ARCH_KEY(attr_embed_dim),
      BUA_ARCH_KEY(attr_hidden),
      BUA_ARCH_KEY(has_attributes),
      BUA_ARCH_KEY(bn_eps),
  };
  // clang-format on
  return table;
}

#undef BUA_ARCH_KEY

const ArchKey* find_arch_key(const std::string& key) {
  for (const ArchKey& row : arch_key_table()) {
    if (key == row.key) return &row;
  }
  return nullptr;
}

void require(bool ok, const std::string& source, const std::string& what) {
  if (!ok) fail(source, "arch: " + what);
}

// Upper bounds, far above any network this code is meant for (ResNet-101: 23 blocks, 2048 channels, ROI pool
// 14), but low enough that a corrupt or hostile checkpoint cannot make the model ask for tens of GB.
constexpr int kMaxBlocks = 128;
constexpr int kMaxChannels = 8192;
constexpr int kMaxRoiPoolSize = 32;
constexpr int kMaxClasses = 100000;
constexpr int kMaxStride = 1024;  // feat_stride, anchor_base_size
constexpr int kMaxDilation = 16;
constexpr size_t kMaxAnchorValues = 64;
constexpr double kMaxAnchorValue = 1e4;
constexpr double kMaxParameters = 1e9;  // 4 GB of float32 weights; ResNet-101 VG has about 0.07e9

void require_in(int v, int hi, const std::string& source, const char* key) {
  require(v > 0, source, std::string(key) + " must be positive, got " + std::to_string(v));
  require(v <= hi, source, std::string(key) + " is " + std::to_string(v) + ", above the bound of " + std::to_string(hi));
}

void require_stages(const std::vector<int>& v, int hi, const std::string& source, const char* key) {
  require(v.size() == 4, source,
          std::string(key) + " must list 4 stages (res2..res5), got " + std::to_string(v.size()));
  for (int x : v) require_in(x, hi, source, key);
}

void require_positive_list(const std::vector<double>& v, const std::string& source, const char* key) {
  require(!v.empty(), source, std::string(key) + " must not be empty");
  require(v.size() <= kMaxAnchorValues, source,
          std::string(key) + " has " + std::to_string(v.size()) + " values, above the bound of " +
              std::to_string(kMaxAnchorValues));
  for (double x : v) {
    require(x > 0 && x <= kMaxAnchorValue, source,
            std::string(key) + " must be positive and at most " + config_detail::format_double(kMaxAnchorValue) +
                ", got " + config_detail::format_double(x));
  }
}

// The weights the network would allocate (convolutions and linear layers, as resnet/rpn/roi_heads build
// them), in double so that no product overflows.
double parameter_count(const ArchConfig& a) {
  double n = 3.0 * a.stem_channels * 49;
  double in = a.stem_channels;
  for (size_t s = 0; s < 4; ++s) {
    const double mid = a.bottleneck_channels[s], out = a.out_channels[s];
    n += in * out + a.blocks_per_stage[s] * (in * mid + 9 * mid * mid + mid * out);  // projection + blocks
    in = out;
  }
  const double c4 = a.out_channels[2], c5 = a.out_channels[3];
  n += 9 * c4 * a.rpn_channels + 6.0 * a.rpn_channels * a.num_anchors();
  n += 5 * c5 * a.num_classes;
  if (a.has_attributes)
    n += 1.0 * a.num_classes * a.attr_embed_dim + (c5 + a.attr_embed_dim) * a.attr_hidden +
         1.0 * a.attr_hidden * a.num_attributes;
  return n;
}

}  // namespace

void validate_arch(const ArchConfig& a, const std::string& source) {
  require(!a.name.empty(), source, "name must not be empty");
  require_stages(a.blocks_per_stage, kMaxBlocks, source, "blocks_per_stage");
  require_in(a.stem_channels, kMaxChannels, source, "stem_channels");
  require_stages(a.bottleneck_channels, kMaxChannels, source, "bottleneck_channels");
  require_stages(a.out_channels, kMaxChannels, source, "out_channels");
  require_in(a.res5_dilation, kMaxDilation, source, "res5_dilation");
  require_in(a.rpn_channels, kMaxChannels, source, "rpn_channels");
  require_positive_list(a.anchor_scales, source, "anchor_scales");
  require_positive_list(a.anchor_ratios, source, "anchor_ratios");
  require_in(a.anchor_base_size, kMaxStride, source, "anchor_base_size");
  require_in(a.feat_stride, kMaxStride, source, "feat_stride");
  require_in(a.roi_pool_size, kMaxRoiPoolSize, source, "roi_pool_size");
  require(a.num_classes >= 2, source,
          "num_classes counts the background class too and must be at least 2, got " +
              std::to_string(a.num_classes));
  require(a.num_classes <= kMaxClasses, source,
          "num_classes is " + std::to_string(a.num_classes) + ", above the bound of " + std::to_string(kMaxClasses));
  require(a.num_attributes >= 2, source,
          "num_attributes counts 'no attribute' too and must be at least 2, got " +
              std::to_string(a.num_attributes));
  require(a.num_attributes <= kMaxClasses, source,
          "num_attributes is " + std::to_string(a.num_attributes) + ", above the bound of " +
              std::to_string(kMaxClasses));
  require_in(a.attr_embed_dim, kMaxChannels, source, "attr_embed_dim");
  require_in(a.attr_hidden, kMaxChannels, source, "attr_hidden");
  require(std::isfinite(a.bn_eps) && a.bn_eps > 0 && a.bn_eps < 1, source,
          "bn_eps must be positive and below 1, got " + config_detail::format_double(a.bn_eps));
  const double params = parameter_count(a);
  require(params <= kMaxParameters, source,
          "the network would have " + config_detail::format_double(std::round(params / 1e6)) +
              "M parameters, above the bound of " + config_detail::format_double(kMaxParameters / 1e6) +
              "M (corrupt or implausible sizes)");
}

ArchConfig arch_from_yaml_string(const std::string& yaml_text, const std::string& source) {
  const YAML::Node root = config_detail::parse_yaml(yaml_text, source);
  if (!root.IsMap()) fail(location(source, root.Mark()), "arch: expected a map of architecture keys");
  ArchConfig arch;
  std::set<std::string> seen;
  for (auto it = root.begin(); it != root.end(); ++it) {
    const YAML::Node name = it->first;  // a copy: it->first is a temporary of the iterator proxy
    const std::string where = location(source, name.Mark());
    if (!name.IsScalar()) fail(where, "arch: keys must be names");
    const std::string key = name.Scalar();
    const ArchKey* row = find_arch_key(key);
    if (row == nullptr) fail(where, "unknown arch key " + key);
    if (!seen.insert(key).second) fail(where, "duplicate arch key " + key);
    config_detail::FieldContext ctx;
    ctx.source = source;
    ctx.key = key;
    config_detail::read_field(it->second, row->member(arch), ctx, name.Mark());
  }
  std::string missing;
  for (const ArchKey& row : arch_key_table()) {
    if (seen.count(row.key) == 0) missing += (missing.empty() ? "" : ", ") + std::string(row.key);
  }
  if (!missing.empty()) fail(source, "arch: missing keys (all are required): " + missing);
  validate_arch(arch, source);
  return arch;
}

ArchConfig load_arch(const std::string& path) {
  return arch_from_yaml_string(config_detail::read_text_file(path), path);
}

std::string to_yaml(const ArchConfig& arch) {
  ArchConfig copy = arch;  // the table reaches members through a non-const ArchConfig
  YAML::Emitter out;
  out << YAML::BeginMap;
  for (const ArchKey& row : arch_key_table()) {
    out << YAML::Key << row.key << YAML::Value;
    config_detail::emit_field(out, row.member(copy));
  }
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace bua
