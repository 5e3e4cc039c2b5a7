#include "bua/config/arch.h"

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

void require_positive(int v, const std::string& source, const char* key) {
  require(v > 0, source, std::string(key) + " must be positive, got " + std::to_string(v));
}

void require_stages(const std::vector<int>& v, const std::string& source, const char* key) {
  require(v.size() == 4, source,
          std::string(key) + " must list 4 stages (res2..res5), got " + std::to_string(v.size()));
  for (int x : v) require_positive(x, source, key);
}

void require_positive_list(const std::vector<double>& v, const std::string& source, const char* key) {
  require(!v.empty(), source, std::string(key) + " must not be empty");
  for (double x : v) {
    require(x > 0, source, std::string(key) + " must be positive, got " + config_detail::format_double(x));
  }
}

}  // namespace

void validate_arch(const ArchConfig& a, const std::string& source) {
  require(!a.name.empty(), source, "name must not be empty");
  require_stages(a.blocks_per_stage, source, "blocks_per_stage");
  require_positive(a.stem_channels, source, "stem_channels");
  require_stages(a.bottleneck_channels, source, "bottleneck_channels");
  require_stages(a.out_channels, source, "out_channels");
  require_positive(a.res5_dilation, source, "res5_dilation");
  require_positive(a.rpn_channels, source, "rpn_channels");
  require_positive_list(a.anchor_scales, source, "anchor_scales");
  require_positive_list(a.anchor_ratios, source, "anchor_ratios");
  require_positive(a.anchor_base_size, source, "anchor_base_size");
  require_positive(a.feat_stride, source, "feat_stride");
  require_positive(a.roi_pool_size, source, "roi_pool_size");
  require(a.num_classes >= 2, source,
          "num_classes counts the background class too and must be at least 2, got " +
              std::to_string(a.num_classes));
  require(a.num_attributes >= 2, source,
          "num_attributes counts 'no attribute' too and must be at least 2, got " +
              std::to_string(a.num_attributes));
  require_positive(a.attr_embed_dim, source, "attr_embed_dim");
  require_positive(a.attr_hidden, source, "attr_hidden");
  require(a.bn_eps > 0, source, "bn_eps must be positive, got " + config_detail::format_double(a.bn_eps));
}

ArchConfig arch_from_yaml_string(const std::string& yaml_text, const std::string& source) {
  const YAML::Node root = config_detail::parse_yaml(yaml_text, source);
  if (!root.IsMap()) fail(location(source, root.Mark()), "arch: expected a map of architecture keys");
  ArchConfig arch;
  std::set<std::string> seen;
  for (auto it = root.begin(); it != root.end(); ++it) {
    const YAML::Node& name = it->first;
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
