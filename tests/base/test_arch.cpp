// bua::ArchConfig: the network shape files in configs/, their round trip through YAML, and every error.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "bua/config/arch.h"
#include "bua/util/error.h"
#include "bua_test_paths.h"
#include "test_support.h"

namespace fs = std::filesystem;
using bua::ArchConfig;

using bua::testing::error_of;

namespace {

std::string config_path(const std::string& name) {
  return (fs::path(BUA_TEST_DATA) / ".." / ".." / "configs" / name).string();
}

#define EXPECT_CONTAINS(haystack, needle)                          \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) \
      << "'" << (haystack) << "' lacks '" << (needle) << "'"

void expect_same(const ArchConfig& a, const ArchConfig& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.blocks_per_stage, b.blocks_per_stage);
  EXPECT_EQ(a.stem_channels, b.stem_channels);
  EXPECT_EQ(a.bottleneck_channels, b.bottleneck_channels);
  EXPECT_EQ(a.out_channels, b.out_channels);
  EXPECT_EQ(a.res5_dilation, b.res5_dilation);
  EXPECT_EQ(a.rpn_channels, b.rpn_channels);
  EXPECT_EQ(a.anchor_scales, b.anchor_scales);
  EXPECT_EQ(a.anchor_ratios, b.anchor_ratios);
  EXPECT_EQ(a.anchor_base_size, b.anchor_base_size);
  EXPECT_EQ(a.feat_stride, b.feat_stride);
  EXPECT_EQ(a.roi_pool_size, b.roi_pool_size);
  EXPECT_EQ(a.num_classes, b.num_classes);
  EXPECT_EQ(a.num_attributes, b.num_attributes);
  EXPECT_EQ(a.attr_embed_dim, b.attr_embed_dim);
  EXPECT_EQ(a.attr_hidden, b.attr_hidden);
  EXPECT_EQ(a.has_attributes, b.has_attributes);
  EXPECT_EQ(a.bn_eps, b.bn_eps);
}

// The resnet101 file with one line replaced (or dropped when `replacement` is empty).
std::string resnet_with(const std::string& key, const std::string& replacement) {
  std::ifstream in(config_path("resnet101_vg.yml"));
  std::string text, line;
  bool found = false;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) {
      found = true;
      if (replacement.empty()) continue;
      line = replacement;
    }
    text += line + "\n";
  }
  EXPECT_TRUE(found) << key;
  return text;
}

}  // namespace

TEST(Arch, Resnet101FileEqualsDefaults) {
  const ArchConfig arch = bua::load_arch(config_path("resnet101_vg.yml"));
  expect_same(arch, ArchConfig{});
  EXPECT_EQ(arch.blocks_per_stage, (std::vector<int>{3, 4, 23, 3}));
  EXPECT_EQ(arch.num_classes, 1601);
  EXPECT_EQ(arch.num_attributes, 401);
  EXPECT_EQ(arch.num_anchors(), 12);
  EXPECT_EQ(arch.spatial_scale(), 1.0 / 16.0);
  EXPECT_EQ(arch.bn_eps, 1e-5);
}

TEST(Arch, TinyTest) {
  const ArchConfig arch = bua::load_arch(config_path("tiny_test.yml"));
  EXPECT_EQ(arch.name, "tiny_test");
  EXPECT_EQ(arch.blocks_per_stage, (std::vector<int>{1, 1, 1, 1}));
  EXPECT_EQ(arch.stem_channels, 8);
  EXPECT_EQ(arch.bottleneck_channels, (std::vector<int>{4, 8, 8, 16}));
  EXPECT_EQ(arch.out_channels, (std::vector<int>{16, 32, 32, 64}));
  EXPECT_EQ(arch.rpn_channels, 16);
  EXPECT_EQ(arch.num_classes, 9);
  EXPECT_EQ(arch.num_attributes, 9);
  EXPECT_EQ(arch.attr_embed_dim, 8);
  EXPECT_EQ(arch.attr_hidden, 16);
  EXPECT_EQ(arch.num_anchors(), 12);
}

// configs/reduced_caffe_ref.yml must describe the net whose blobs tests/data/caffe/manifest.json lists.
TEST(Arch, ReducedCaffeRefMatchesManifest) {
  const ArchConfig arch = bua::load_arch(config_path("reduced_caffe_ref.yml"));
  std::ifstream in(fs::path(BUA_TEST_DATA) / "caffe" / "manifest.json");
  ASSERT_TRUE(in) << "missing tests/data/caffe/manifest.json";
  const nlohmann::json manifest = nlohmann::json::parse(in);
  std::map<std::string, std::vector<std::vector<int>>> blobs;
  std::map<int, int> blocks;  // stage (2..5) -> number of blocks
  const std::regex block_conv(R"(res([2-5])[a-z0-9]+_branch2a)");
  for (const auto& layer : manifest["layers"]) {
    const std::string name = layer["name"];
    blobs[name] = layer["blobs"].get<std::vector<std::vector<int>>>();
    std::smatch m;
    if (std::regex_match(name, m, block_conv)) ++blocks[std::stoi(m[1])];
  }
  EXPECT_EQ(arch.blocks_per_stage, (std::vector<int>{blocks[2], blocks[3], blocks[4], blocks[5]}));
  EXPECT_EQ(arch.stem_channels, blobs["conv1"][0][0]);
  for (int s = 2; s <= 5; ++s) {
    const std::string block = "res" + std::to_string(s) + "a";
    EXPECT_EQ(arch.bottleneck_channels[s - 2], blobs[block + "_branch2a"][0][0]) << block;
    EXPECT_EQ(arch.out_channels[s - 2], blobs[block + "_branch2c"][0][0]) << block;
  }
  EXPECT_EQ(arch.rpn_channels, blobs["rpn_conv/3x3"][0][0]);
  EXPECT_EQ(2 * arch.num_anchors(), blobs["rpn_cls_score"][0][0]);
  EXPECT_EQ(4 * arch.num_anchors(), blobs["rpn_bbox_pred"][0][0]);
  EXPECT_EQ(arch.num_classes, blobs["cls_score"][0][0]);
  EXPECT_EQ(4 * arch.num_classes, blobs["bbox_pred"][0][0]);
  EXPECT_EQ((std::vector<int>{arch.num_classes, arch.attr_embed_dim}), blobs["cls_embedding"][0]);
  EXPECT_EQ(arch.attr_hidden, blobs["fc_attr"][0][0]);
  EXPECT_EQ(arch.out_channels[3] + arch.attr_embed_dim, blobs["fc_attr"][0][1]);  // pool5 ++ embedding
  EXPECT_EQ(arch.num_attributes, blobs["attr_score"][0][0]);
}

TEST(Arch, RoundTripsThroughYaml) {
  for (const char* file : {"resnet101_vg.yml", "reduced_caffe_ref.yml", "tiny_test.yml"}) {
    const ArchConfig arch = bua::load_arch(config_path(file));
    const std::string text = bua::to_yaml(arch);
    const ArchConfig back = bua::arch_from_yaml_string(text);
    expect_same(back, arch);
    EXPECT_EQ(bua::to_yaml(back), text) << file;
  }
  ArchConfig odd;
  odd.name = "42";  // looks like a number, stays a name
  odd.anchor_scales = {2.5, 1.0 / 3.0};
  odd.bn_eps = 1e-3;
  odd.has_attributes = false;
  expect_same(bua::arch_from_yaml_string(bua::to_yaml(odd)), odd);
}

TEST(ArchErrors, UnknownKey) {
  const std::string msg =
      error_of([] { bua::arch_from_yaml_string(resnet_with("rpn_channels", "rpn_chanels: 512"), "r.yml"); });
  EXPECT_CONTAINS(msg, "r.yml:");
  EXPECT_CONTAINS(msg, "unknown arch key rpn_chanels");
}

TEST(ArchErrors, UnknownKeyNamesLine) {
  const std::string msg = error_of([] { bua::arch_from_yaml_string("name: x\n\nwidth: 3\n", "a.yml"); });
  EXPECT_CONTAINS(msg, "a.yml:3: unknown arch key width");
}

TEST(ArchErrors, MissingKey) {
  const std::string msg =
      error_of([] { bua::arch_from_yaml_string(resnet_with("attr_hidden", ""), "m.yml"); });
  EXPECT_CONTAINS(msg, "m.yml");
  EXPECT_CONTAINS(msg, "missing keys");
  EXPECT_CONTAINS(msg, "attr_hidden");
}

TEST(ArchErrors, WrongType) {
  std::string msg =
      error_of([] { bua::arch_from_yaml_string(resnet_with("num_classes", "num_classes: many"), "t.yml"); });
  EXPECT_CONTAINS(msg, "t.yml:");
  EXPECT_CONTAINS(msg, "num_classes: expected int");
  msg = error_of(
      [] { bua::arch_from_yaml_string(resnet_with("blocks_per_stage", "blocks_per_stage: 3"), "t.yml"); });
  EXPECT_CONTAINS(msg, "blocks_per_stage: expected a list of ints");
  msg = error_of(
      [] { bua::arch_from_yaml_string(resnet_with("has_attributes", "has_attributes: 1"), "t.yml"); });
  EXPECT_CONTAINS(msg, "has_attributes: expected bool");
}

TEST(ArchErrors, InvalidValues) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"blocks_per_stage: [3, 4, 23]", "blocks_per_stage must list 4 stages"},
      {"blocks_per_stage: [3, 0, 23, 3]", "blocks_per_stage must be positive"},
      {"out_channels: [256, 512, -1, 2048]", "out_channels must be positive"},
      {"stem_channels: 0", "stem_channels must be positive"},
      {"rpn_channels: -5", "rpn_channels must be positive"},
      {"anchor_scales: []", "anchor_scales must not be empty"},
      {"anchor_ratios: [0.5, 0, 2]", "anchor_ratios must be positive"},
      {"feat_stride: 0", "feat_stride must be positive"},
      {"roi_pool_size: 0", "roi_pool_size must be positive"},
      {"num_classes: 1", "num_classes"},
      {"num_attributes: 0", "num_attributes"},
      {"bn_eps: 0", "bn_eps must be positive"},
      {"name: ''", "name must not be empty"},
  };
  for (const auto& [line, expected] : cases) {
    const std::string key = line.substr(0, line.find(':'));
    const std::string msg = error_of([&] { bua::arch_from_yaml_string(resnet_with(key, line), "v.yml"); });
    EXPECT_CONTAINS(msg, "v.yml");
    EXPECT_CONTAINS(msg, expected);
  }
}

TEST(ArchErrors, MalformedYaml) {
  const std::string msg =
      error_of([] { bua::arch_from_yaml_string("name: x\nblocks_per_stage: [1, 2\n", "bad.yml"); });
  EXPECT_CONTAINS(msg, "bad.yml:");
  EXPECT_CONTAINS(msg, "malformed YAML");
  EXPECT_CONTAINS(error_of([] { bua::arch_from_yaml_string("", "empty.yml"); }), "empty.yml");
  EXPECT_CONTAINS(error_of([] { bua::arch_from_yaml_string("- 1\n", "list.yml"); }), "expected a map");
}

TEST(ArchErrors, MissingFile) {
  EXPECT_CONTAINS(error_of([] { bua::load_arch("/nonexistent/arch.yml"); }), "/nonexistent/arch.yml");
}

TEST(ArchErrors, DuplicateKey) {
  const std::string msg =
      error_of([] { bua::arch_from_yaml_string(bua::to_yaml(ArchConfig{}) + "feat_stride: 8\n", "d.yml"); });
  EXPECT_CONTAINS(msg, "duplicate arch key feat_stride");
}
