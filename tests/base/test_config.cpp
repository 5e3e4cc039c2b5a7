// bua::Config: config.py's defaults, yml merging, --set, every error path, and printing round trips.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "bua/config/cli.h"
#include "bua/config/config.h"
#include "bua/util/error.h"
#include "bua_test_paths.h"
#include "test_support.h"

namespace fs = std::filesystem;
using bua::Config;

using bua::testing::error_of;

namespace {

const std::string kExperimentCfg =
    (fs::path(BUA_TEST_DATA) / ".." / ".." / "experiments" / "cfgs" / "faster_rcnn_end2end_resnet.yml")
        .string();

// A fresh directory per test for the yml files it writes.
class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = bua::testing::new_temp_dir("bua_test_config");
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    const fs::path path = dir_ / name;
    std::ofstream(path) << text;
    return path.string();
  }

  fs::path dir_;
};

// The bua::Error message of f(), or "" if it did not throw one.
#define EXPECT_CONTAINS(haystack, needle)                          \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) \
      << "'" << (haystack) << "' lacks '" << (needle) << "'"

}  // namespace

TEST(ConfigDefaults, MatchConfigPy) {
  const Config c;
  EXPECT_EQ(c.TRAIN.SCALES, std::vector<int>{600});
  EXPECT_EQ(c.TRAIN.MAX_SIZE, 1000);
  EXPECT_EQ(c.TRAIN.IMS_PER_BATCH, 2);
  EXPECT_EQ(c.TRAIN.BATCH_SIZE, 128);
  EXPECT_EQ(c.TRAIN.FG_FRACTION, 0.25);
  EXPECT_EQ(c.TRAIN.FG_THRESH, 0.5);
  EXPECT_EQ(c.TRAIN.BG_THRESH_HI, 0.5);
  EXPECT_EQ(c.TRAIN.BG_THRESH_LO, 0.1);
  EXPECT_TRUE(c.TRAIN.USE_FLIPPED);
  EXPECT_EQ(c.TRAIN.SNAPSHOT_ITERS, 10000);
  EXPECT_EQ(c.TRAIN.SNAPSHOT_INFIX, "");
  EXPECT_FALSE(c.TRAIN.USE_PREFETCH);
  EXPECT_FALSE(c.TRAIN.BBOX_NORMALIZE_TARGETS_PRECOMPUTED);
  EXPECT_EQ(c.TRAIN.BBOX_NORMALIZE_MEANS, (std::vector<double>{0.0, 0.0, 0.0, 0.0}));
  EXPECT_EQ(c.TRAIN.BBOX_NORMALIZE_STDS, (std::vector<double>{0.1, 0.1, 0.2, 0.2}));
  EXPECT_EQ(c.TRAIN.BBOX_INSIDE_WEIGHTS, (std::vector<double>{1.0, 1.0, 1.0, 1.0}));
  EXPECT_EQ(c.TRAIN.PROPOSAL_METHOD, "selective_search");
  EXPECT_TRUE(c.TRAIN.ASPECT_GROUPING);
  EXPECT_FALSE(c.TRAIN.HAS_RPN);
  EXPECT_EQ(c.TRAIN.RPN_POSITIVE_OVERLAP, 0.7);
  EXPECT_EQ(c.TRAIN.RPN_NEGATIVE_OVERLAP, 0.3);
  EXPECT_EQ(c.TRAIN.RPN_FG_FRACTION, 0.5);
  EXPECT_EQ(c.TRAIN.RPN_BATCHSIZE, 256);
  EXPECT_EQ(c.TRAIN.RPN_PRE_NMS_TOP_N, 12000);
  EXPECT_EQ(c.TRAIN.RPN_POST_NMS_TOP_N, 2000);
  EXPECT_EQ(c.TRAIN.RPN_MIN_SIZE, 16);
  EXPECT_EQ(c.TRAIN.RPN_POSITIVE_WEIGHT, -1.0);
  EXPECT_EQ(c.TRAIN.MIN_RELATION_FRACTION, 0.25);
  EXPECT_EQ(c.TEST.SCALES, std::vector<int>{600});
  EXPECT_EQ(c.TEST.MAX_SIZE, 1000);
  EXPECT_EQ(c.TEST.NMS, 0.3);
  EXPECT_EQ(c.TEST.SOFT_NMS, 0);
  EXPECT_TRUE(c.TEST.BBOX_REG);
  EXPECT_FALSE(c.TEST.HAS_RPN);
  EXPECT_EQ(c.TEST.RPN_NMS_THRESH, 0.7);
  EXPECT_EQ(c.TEST.RPN_PRE_NMS_TOP_N, 6000);
  EXPECT_EQ(c.TEST.RPN_POST_NMS_TOP_N, 300);
  EXPECT_EQ(c.TEST.RPN_MIN_SIZE, 16);
  EXPECT_EQ(c.DEDUP_BOXES, 1.0 / 16.0);
  EXPECT_EQ(c.PIXEL_MEANS, (std::vector<double>{102.9801, 115.9465, 122.7717}));
  EXPECT_EQ(c.RNG_SEED, 3);
  EXPECT_EQ(c.EPS, 1e-14);
  EXPECT_EQ(c.EXP_DIR, "default");
  EXPECT_EQ(c.MATLAB, "matlab");
  EXPECT_TRUE(c.USE_GPU_NMS);
  EXPECT_EQ(c.GPU_ID, 0);
}

TEST(ConfigDefaults, LoadWithNothingGivesDefaults) {
  EXPECT_EQ(bua::to_yaml(bua::load_config({}, {})), bua::to_yaml(Config{}));
}

TEST(ConfigKeys, AreUniqueAndAllPrinted) {
  const std::vector<std::string> keys = bua::config_keys();
  EXPECT_EQ(std::set<std::string>(keys.begin(), keys.end()).size(), keys.size());
  EXPECT_GE(keys.size(), 66u);
  const std::string printed = bua::to_yaml(Config{});
  for (const std::string& key : keys) {
    const std::string leaf = key.substr(key.find('.') + 1);  // whole key if there is no dot
    EXPECT_CONTAINS(printed, leaf + ":");
  }
}

TEST(ConfigExperiment, ResnetYmlOverridesOnlyItsKeys) {
  const Config c = bua::load_config({kExperimentCfg}, {});
  EXPECT_EQ(c.EXP_DIR, "faster_rcnn_resnet");
  EXPECT_FALSE(c.USE_GPU_NMS);
  EXPECT_TRUE(c.TRAIN.HAS_RPN);
  EXPECT_TRUE(c.TRAIN.HAS_ATTRIBUTES);
  EXPECT_FALSE(c.TRAIN.HAS_RELATIONS);
  EXPECT_EQ(c.TRAIN.IMS_PER_BATCH, 1);
  EXPECT_EQ(c.TRAIN.BATCH_SIZE, 64);
  EXPECT_EQ(c.TRAIN.FG_FRACTION, 0.5);
  EXPECT_TRUE(c.TRAIN.BBOX_NORMALIZE_TARGETS_PRECOMPUTED);
  EXPECT_EQ(c.TRAIN.RPN_BATCHSIZE, 64);
  EXPECT_EQ(c.TRAIN.PROPOSAL_METHOD, "gt");
  EXPECT_EQ(c.TRAIN.BG_THRESH_LO, 0.0);
  EXPECT_TRUE(c.TEST.HAS_RPN);
  EXPECT_TRUE(c.TEST.HAS_ATTRIBUTES);
  EXPECT_EQ(c.TEST.SOFT_NMS, 0);
  // Untouched keys keep config.py's values.
  EXPECT_EQ(c.TRAIN.SCALES, std::vector<int>{600});
  EXPECT_EQ(c.TEST.NMS, 0.3);
  EXPECT_EQ(c.TRAIN.RPN_PRE_NMS_TOP_N, 12000);
}

// The Caffe reference run used the experiment yml plus TEST.SCALES (400,) and TEST.MAX_SIZE 700;
// run.json records the values in force.
TEST(ConfigExperiment, MatchesCaffeReferenceRun) {
  const Config c = bua::load_config({kExperimentCfg}, {{"TEST.SCALES", "[400]"}, {"TEST.MAX_SIZE", "700"}});
  std::ifstream in(fs::path(BUA_TEST_DATA) / "caffe" / "run.json");
  ASSERT_TRUE(in) << "missing tests/data/caffe/run.json";
  const nlohmann::json run = nlohmann::json::parse(in)["config"];
  EXPECT_EQ(c.PIXEL_MEANS, run["PIXEL_MEANS"].get<std::vector<double>>());
  EXPECT_EQ(c.TEST.SCALES, run["TEST.SCALES"].get<std::vector<int>>());
  EXPECT_EQ(c.TEST.MAX_SIZE, run["TEST.MAX_SIZE"].get<int>());
  EXPECT_EQ(c.TEST.NMS, run["TEST.NMS"].get<double>());
  EXPECT_EQ(c.TEST.RPN_MIN_SIZE, run["TEST.RPN_MIN_SIZE"].get<int>());
  EXPECT_EQ(c.TEST.RPN_NMS_THRESH, run["TEST.RPN_NMS_THRESH"].get<double>());
  EXPECT_EQ(c.TEST.RPN_PRE_NMS_TOP_N, run["TEST.RPN_PRE_NMS_TOP_N"].get<int>());
  EXPECT_EQ(c.TEST.RPN_POST_NMS_TOP_N, run["TEST.RPN_POST_NMS_TOP_N"].get<int>());
  EXPECT_EQ(c.USE_GPU_NMS, run["USE_GPU_NMS"].get<bool>());
}

TEST_F(ConfigTest, FilesApplyInOrderThenSets) {
  const std::string a = write("a.yml", "TRAIN:\n  SCALES: [480, 576]\n  MAX_SIZE: 800\nRNG_SEED: 7\n");
  const std::string b = write("b.yml", "TRAIN:\n  MAX_SIZE: 900\nTEST: {NMS: 0.4}\n");
  const Config c = bua::load_config({a, b}, {{"RNG_SEED", "11"}, {"TEST.NMS", "0.5"}});
  EXPECT_EQ(c.TRAIN.SCALES, (std::vector<int>{480, 576}));  // from a
  EXPECT_EQ(c.TRAIN.MAX_SIZE, 900);                         // b over a
  EXPECT_EQ(c.RNG_SEED, 11);                                // --set over a
  EXPECT_EQ(c.TEST.NMS, 0.5);                               // --set over b
  EXPECT_EQ(c.TRAIN.BATCH_SIZE, 128);                       // default
}

TEST_F(ConfigTest, EmptyFileChangesNothing) {
  const std::string a = write("empty.yml", "# nothing here\n");
  EXPECT_EQ(bua::to_yaml(bua::load_config({a}, {})), bua::to_yaml(Config{}));
}

TEST_F(ConfigTest, YamlTypesAccepted) {
  const std::string a = write("types.yml",
                              "USE_GPU_NMS: false\n"
                              "DEDUP_BOXES: 1\n"  // an int for a double
                              "EPS: 1.0e-10\n"
                              "PIXEL_MEANS: [[[100, 110.5, 120]]]\n"  // config.py's nested array form
                              "TRAIN:\n"
                              "  USE_FLIPPED: False\n"  // Python spelling, as in the original ymls
                              "  SNAPSHOT_INFIX: ''\n"
                              "  PROPOSAL_METHOD: gt\n"
                              "  RPN_POSITIVE_WEIGHT: -0.5\n");
  const Config c = bua::load_config({a}, {});
  EXPECT_FALSE(c.USE_GPU_NMS);
  EXPECT_EQ(c.DEDUP_BOXES, 1.0);
  EXPECT_EQ(c.EPS, 1e-10);
  EXPECT_EQ(c.PIXEL_MEANS, (std::vector<double>{100, 110.5, 120}));
  EXPECT_FALSE(c.TRAIN.USE_FLIPPED);
  EXPECT_EQ(c.TRAIN.SNAPSHOT_INFIX, "");
  EXPECT_EQ(c.TRAIN.PROPOSAL_METHOD, "gt");
  EXPECT_EQ(c.TRAIN.RPN_POSITIVE_WEIGHT, -0.5);
}

TEST(ConfigSet, TypedValues) {
  const Config c = bua::load_config({}, {{"TEST.SCALES", "[480]"},
                                         {"TRAIN.SCALES", "[480, 576, 688]"},
                                         {"TRAIN.USE_FLIPPED", "false"},
                                         {"TEST.HAS_RPN", "True"},
                                         {"TEST.NMS", "0.45"},
                                         {"DEDUP_BOXES", "2"},
                                         {"TRAIN.RPN_POSITIVE_WEIGHT", "-1.5"},
                                         {"TEST.RPN_POST_NMS_TOP_N", "100"},
                                         {"PIXEL_MEANS", "[1, 2, 3]"},
                                         {"EXP_DIR", "runs/my exp: 2"}});  // strings are taken as written
  EXPECT_EQ(c.TEST.SCALES, std::vector<int>{480});
  EXPECT_EQ(c.TRAIN.SCALES, (std::vector<int>{480, 576, 688}));
  EXPECT_FALSE(c.TRAIN.USE_FLIPPED);
  EXPECT_TRUE(c.TEST.HAS_RPN);
  EXPECT_EQ(c.TEST.NMS, 0.45);
  EXPECT_EQ(c.DEDUP_BOXES, 2.0);
  EXPECT_EQ(c.TRAIN.RPN_POSITIVE_WEIGHT, -1.5);
  EXPECT_EQ(c.TEST.RPN_POST_NMS_TOP_N, 100);
  EXPECT_EQ(c.PIXEL_MEANS, (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(c.EXP_DIR, "runs/my exp: 2");
}

TEST(ConfigSet, EmptyListAndEmptyString) {
  const Config c = bua::load_config({}, {{"TEST.SCALES", "[]"}, {"TRAIN.SNAPSHOT_INFIX", ""}});
  EXPECT_TRUE(c.TEST.SCALES.empty());
  EXPECT_EQ(c.TRAIN.SNAPSHOT_INFIX, "");
}

TEST(ConfigSet, PairsFlatWords) {
  const auto pairs = bua::pair_set_args({"TEST.NMS", "0.4", "RNG_SEED", "5"});
  ASSERT_EQ(pairs.size(), 2u);
  EXPECT_EQ(pairs[1].first, "RNG_SEED");
  EXPECT_EQ(pairs[1].second, "5");
  EXPECT_TRUE(bua::pair_set_args({}).empty());
}

// --- errors: each names the key, the file and the line --------------------------------------------

TEST_F(ConfigTest, UnknownKeyNamesFileLineKey) {
  const std::string a = write("unknown.yml", "EXP_DIR: x\nTRAIN:\n  SCALES: [600]\n  SCALE: [600]\n");
  const std::string msg = error_of([&] { bua::load_config({a}, {}); });
  EXPECT_CONTAINS(msg, a + ":4:");
  EXPECT_CONTAINS(msg, "unknown config key TRAIN.SCALE");
}

TEST_F(ConfigTest, UnknownTopLevelKey) {
  const std::string a = write("unknown_top.yml", "# comment\nFOO: 1\n");
  const std::string msg = error_of([&] { bua::load_config({a}, {}); });
  EXPECT_CONTAINS(msg, a + ":2:");
  EXPECT_CONTAINS(msg, "unknown config key FOO");
}

TEST_F(ConfigTest, StringForInt) {
  const std::string a = write("str_int.yml", "TRAIN:\n  MAX_SIZE: big\n");
  const std::string msg = error_of([&] { bua::load_config({a}, {}); });
  EXPECT_CONTAINS(msg, a + ":2:");
  EXPECT_CONTAINS(msg, "TRAIN.MAX_SIZE");
  EXPECT_CONTAINS(msg, "expected int");
  EXPECT_CONTAINS(msg, "'big'");
}

TEST_F(ConfigTest, QuotedNumberIsAString) {
  const std::string a = write("quoted.yml", "RNG_SEED: '5'\n");
  const std::string msg = error_of([&] { bua::load_config({a}, {}); });
  EXPECT_CONTAINS(msg, a + ":1:");
  EXPECT_CONTAINS(msg, "RNG_SEED");
  EXPECT_CONTAINS(msg, "quoted string");
}

TEST_F(ConfigTest, FloatForIntAndIntForBool) {
  const std::string a = write("float_int.yml", "TEST:\n  SOFT_NMS: 1.5\n");
  EXPECT_CONTAINS(error_of([&] { bua::load_config({a}, {}); }),
                  a + ":2: config key TEST.SOFT_NMS: expected int");
  const std::string b = write("int_bool.yml", "\n\nUSE_GPU_NMS: 1\n");
  EXPECT_CONTAINS(error_of([&] { bua::load_config({b}, {}); }),
                  b + ":3: config key USE_GPU_NMS: expected bool");
  const std::string c = write("str_double.yml", "TEST:\n  NMS: high\n");
  EXPECT_CONTAINS(error_of([&] { bua::load_config({c}, {}); }),
                  c + ":2: config key TEST.NMS: expected number");
}

TEST_F(ConfigTest, ScalarForListIsAnError) {
  const std::string a = write("scalar_list.yml", "TEST:\n  SCALES: 600\n");
  const std::string msg = error_of([&] { bua::load_config({a}, {}); });
  EXPECT_CONTAINS(msg, a + ":2:");
  EXPECT_CONTAINS(msg, "TEST.SCALES");
  EXPECT_CONTAINS(msg, "expected a list of ints");
  EXPECT_CONTAINS(msg, "[600]");
}

TEST_F(ConfigTest, BadListItemNamesIndex) {
  const std::string a = write("bad_item.yml", "TEST:\n  SCALES:\n    - 600\n    - wide\n");
  const std::string msg = error_of([&] { bua::load_config({a}, {}); });
  EXPECT_CONTAINS(msg, a + ":4:");
  EXPECT_CONTAINS(msg, "TEST.SCALES[1]");
}

TEST_F(ConfigTest, FixedLengthLists) {
  const std::string a = write("stds.yml", "TRAIN:\n  BBOX_NORMALIZE_STDS: [0.1, 0.1, 0.2]\n");
  const std::string msg = error_of([&] { bua::load_config({a}, {}); });
  EXPECT_CONTAINS(msg, a + ":2:");
  EXPECT_CONTAINS(msg, "TRAIN.BBOX_NORMALIZE_STDS: expected 4 items, got 3");
  EXPECT_CONTAINS(error_of([] { bua::load_config({}, {{"PIXEL_MEANS", "[1, 2]"}}); }), "expected 3 items");
}

TEST_F(ConfigTest, NullValue) {
  const std::string a = write("null.yml", "TRAIN:\n  MAX_SIZE:\n  BATCH_SIZE: 3\n");
  const std::string msg = error_of([&] { bua::load_config({a}, {}); });
  EXPECT_CONTAINS(msg, a + ":2:");  // the key's line, not the next one's
  EXPECT_CONTAINS(msg, "TRAIN.MAX_SIZE");
  EXPECT_CONTAINS(msg, "null");
}

TEST_F(ConfigTest, SectionMustBeAMap) {
  const std::string a = write("section.yml", "EXP_DIR: x\nTRAIN: 5\n");
  const std::string msg = error_of([&] { bua::load_config({a}, {}); });
  EXPECT_CONTAINS(msg, a + ":2:");
  EXPECT_CONTAINS(msg, "TRAIN is a section");
}

TEST_F(ConfigTest, KeyInWrongSection) {
  const std::string a = write("wrong_section.yml", "TEST:\n  NMS: 0.3\n  BATCH_SIZE: 8\n");
  const std::string msg = error_of([&] { bua::load_config({a}, {}); });
  EXPECT_CONTAINS(msg, a + ":3:");
  EXPECT_CONTAINS(msg, "unknown config key TEST.BATCH_SIZE");
}

TEST_F(ConfigTest, DuplicateKey) {
  const std::string a = write("dup.yml", "RNG_SEED: 1\nRNG_SEED: 2\n");
  const std::string msg = error_of([&] { bua::load_config({a}, {}); });
  EXPECT_CONTAINS(msg, a + ":2:");
  EXPECT_CONTAINS(msg, "duplicate config key RNG_SEED");
}

TEST_F(ConfigTest, MalformedYaml) {
  const std::string a = write("malformed.yml", "EXP_DIR: x\nTRAIN:\n  SCALES: [600, 700\n  MAX_SIZE: 1000\n");
  const std::string msg = error_of([&] { bua::load_config({a}, {}); });
  EXPECT_CONTAINS(msg, a + ":");
  EXPECT_CONTAINS(msg, "malformed YAML");
  const std::string b = write("malformed2.yml", "TRAIN:\n  MAX_SIZE: 1\n    BATCH_SIZE: 2\n");
  EXPECT_CONTAINS(error_of([&] { bua::load_config({b}, {}); }), b + ":3: malformed YAML");
}

TEST_F(ConfigTest, TopLevelMustBeAMap) {
  const std::string a = write("list.yml", "- TRAIN\n- TEST\n");
  const std::string msg = error_of([&] { bua::load_config({a}, {}); });
  EXPECT_CONTAINS(msg, a + ":1:");
  EXPECT_CONTAINS(msg, "expected a map");
}

TEST_F(ConfigTest, MissingFile) {
  const std::string path = (dir_ / "absent.yml").string();
  const std::string msg = error_of([&] { bua::load_config({path}, {}); });
  EXPECT_CONTAINS(msg, path);
  EXPECT_CONTAINS(msg, "cannot open");
}

TEST_F(ConfigTest, FailedMergeLeavesConfigUnchanged) {
  Config c;
  const std::string msg =
      error_of([&] { bua::merge_config_yaml(c, "RNG_SEED: 9\nTRAIN: {MAX_SIZE: x}\n", "<inline>"); });
  EXPECT_CONTAINS(msg, "<inline>:2:");
  EXPECT_EQ(c.RNG_SEED, 3);
  EXPECT_CONTAINS(error_of([&] { bua::set_config_value(c, "TRAIN.SCALES", "[1, x]"); }), "TRAIN.SCALES[1]");
  EXPECT_EQ(c.TRAIN.SCALES, std::vector<int>{600});
}

TEST(ConfigSetErrors, UnknownKey) {
  const std::string msg = error_of([] { bua::load_config({}, {{"TEST.SCALE", "[600]"}}); });
  EXPECT_CONTAINS(msg, "--set TEST.SCALE [600]");
  EXPECT_CONTAINS(msg, "unknown config key TEST.SCALE");
}

TEST(ConfigSetErrors, Section) {
  EXPECT_CONTAINS(error_of([] { bua::load_config({}, {{"TRAIN", "{}"}}); }), "TRAIN is a section");
}

TEST(ConfigSetErrors, WrongTypes) {
  std::string msg = error_of([] { bua::load_config({}, {{"TEST.SCALES", "480"}}); });
  EXPECT_CONTAINS(msg, "--set TEST.SCALES 480: config key TEST.SCALES: expected a list of ints");
  EXPECT_CONTAINS(msg, "[480]");
  msg = error_of([] { bua::load_config({}, {{"TRAIN.USE_FLIPPED", "maybe"}}); });
  EXPECT_CONTAINS(msg, "--set TRAIN.USE_FLIPPED maybe: config key TRAIN.USE_FLIPPED: expected bool");
  msg = error_of([] { bua::load_config({}, {{"RNG_SEED", "3.5"}}); });
  EXPECT_CONTAINS(msg, "config key RNG_SEED: expected int");
  msg = error_of([] { bua::load_config({}, {{"TEST.NMS", "[0.3]"}}); });
  EXPECT_CONTAINS(msg, "config key TEST.NMS: expected number, got a list");
}

TEST(ConfigSetErrors, MalformedValue) {
  const std::string msg = error_of([] { bua::load_config({}, {{"TEST.SCALES", "[480, 600"}}); });
  EXPECT_CONTAINS(msg, "--set TEST.SCALES [480, 600: malformed YAML");
}

TEST(ConfigSetErrors, OddWordCount) {
  const std::string msg = error_of([] { bua::pair_set_args({"TEST.NMS", "0.4", "RNG_SEED"}); });
  EXPECT_CONTAINS(msg, "--set");
  EXPECT_CONTAINS(msg, "RNG_SEED");
  EXPECT_CONTAINS(msg, "3 words");
}

// --- printing -----------------------------------------------------------------------------------

TEST_F(ConfigTest, ToYamlRoundTrips) {
  Config c = bua::load_config({kExperimentCfg}, {});
  c.TRAIN.SCALES = {480, 576, 688, 864, 1200};
  c.TEST.SCALES = {};
  c.TEST.NMS = 0.1 + 0.2;  // not exactly 0.3: printing must keep every bit
  c.EPS = 1e-14;
  c.DEDUP_BOXES = 1.0 / 3.0;
  c.PIXEL_MEANS = {102.9801, 115.9465, 122.7717};
  c.TRAIN.RPN_POSITIVE_WEIGHT = -1.0;
  c.TRAIN.SNAPSHOT_INFIX = "";
  c.EXP_DIR = "123";  // looks like a number, must stay a string
  c.MATLAB = "true";
  c.ROOT_DIR = "/data/run: 1 # x";
  c.GPU_ID = 3;
  const std::string text = bua::to_yaml(c);
  const Config back = bua::load_config({write("printed.yml", text)}, {});
  EXPECT_EQ(bua::to_yaml(back), text);
  EXPECT_EQ(back.TRAIN.SCALES, c.TRAIN.SCALES);
  EXPECT_TRUE(back.TEST.SCALES.empty());
  EXPECT_EQ(back.TEST.NMS, c.TEST.NMS);
  EXPECT_EQ(back.DEDUP_BOXES, c.DEDUP_BOXES);
  EXPECT_EQ(back.EPS, c.EPS);
  EXPECT_EQ(back.PIXEL_MEANS, c.PIXEL_MEANS);
  EXPECT_EQ(back.TRAIN.SNAPSHOT_INFIX, "");
  EXPECT_EQ(back.EXP_DIR, "123");
  EXPECT_EQ(back.MATLAB, "true");
  EXPECT_EQ(back.ROOT_DIR, c.ROOT_DIR);
  EXPECT_EQ(back.GPU_ID, 3);
  EXPECT_FALSE(back.USE_GPU_NMS);
  EXPECT_EQ(back.TRAIN.PROPOSAL_METHOD, "gt");
}

TEST(ConfigPrint, ReadableLayout) {
  const std::string text = bua::to_yaml(Config{});
  EXPECT_CONTAINS(text, "EXP_DIR: \"default\"\n");
  EXPECT_CONTAINS(text, "TRAIN:\n  SCALES: [600]\n");
  EXPECT_CONTAINS(text, "  NMS: 0.3\n");
  EXPECT_CONTAINS(text, "  FG_FRACTION: 0.25\n");
  EXPECT_CONTAINS(text, "  RPN_POSITIVE_WEIGHT: -1.0\n");
  EXPECT_CONTAINS(text, "EPS: 1e-14\n");
  EXPECT_CONTAINS(text, "PIXEL_MEANS: [102.9801, 115.9465, 122.7717]\n");
  EXPECT_CONTAINS(text, "USE_GPU_NMS: true\n");
  EXPECT_LT(text.find("RNG_SEED"), text.find("TRAIN:"));  // top-level keys first
  EXPECT_LT(text.find("TRAIN:"), text.find("TEST:"));
}

// --- the shared tool flags -----------------------------------------------------------------------

TEST_F(ConfigTest, CliFlags) {
  const std::string a = write("a.yml", "TRAIN:\n  MAX_SIZE: 800\nRNG_SEED: 7\n");
  const std::string b = write("b.yml", "TRAIN:\n  MAX_SIZE: 900\n");
  CLI::App app{"test"};
  bua::ConfigFlags flags(app);
  std::string image;
  app.add_option("--image", image);
  std::string positional;
  app.add_option("positional", positional);
  std::vector<std::string> args = {
      "tool", "--cfg",   a,       "--set", "TEST.SCALES",       "[480, 600]", "TRAIN.RPN_POSITIVE_WEIGHT",
      "-0.5", "--image", "x.jpg", "--set", "TRAIN.USE_FLIPPED", "false",      "--cfg",
      b,      "pos"};
  std::vector<char*> argv;
  for (std::string& s : args) argv.push_back(s.data());
  app.parse(static_cast<int>(argv.size()), argv.data());
  EXPECT_EQ(flags.cfg_files(), (std::vector<std::string>{a, b}));
  const Config c = flags.load();
  EXPECT_EQ(image, "x.jpg");
  EXPECT_EQ(positional, "pos");  // --cfg takes one file
  EXPECT_EQ(c.TRAIN.MAX_SIZE, 900);
  EXPECT_EQ(c.RNG_SEED, 7);
  EXPECT_EQ(c.TEST.SCALES, (std::vector<int>{480, 600}));  // one word, not split by CLI11
  EXPECT_EQ(c.TRAIN.RPN_POSITIVE_WEIGHT, -0.5);
  EXPECT_FALSE(c.TRAIN.USE_FLIPPED);
}

TEST(ConfigCli, OddSetWordsFailAtLoad) {
  CLI::App app{"test"};
  bua::ConfigFlags flags(app);
  std::vector<std::string> args = {"tool", "--set", "TEST.NMS", "0.4", "RNG_SEED"};
  std::vector<char*> argv;
  for (std::string& s : args) argv.push_back(s.data());
  app.parse(static_cast<int>(argv.size()), argv.data());
  EXPECT_CONTAINS(error_of([&] { flags.load(); }), "RNG_SEED");
}

TEST_F(ConfigTest, OutputDir) {
  Config c;
  c.ROOT_DIR = dir_.string();
  c.EXP_DIR = "exp";
  const std::string out = bua::get_output_dir(c, "vg_val", "resnet", true);
  EXPECT_EQ(fs::path(out), fs::absolute(dir_ / "output" / "exp" / "vg_val" / "resnet" / "attr"));
  EXPECT_TRUE(fs::is_directory(out));
}
