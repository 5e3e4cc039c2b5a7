// create_splits: Python's generator and the Python 2 shuffle bit for bit, the original's procedure on a
// small case (expected files produced by the original create_splits.py logic), every rule and error.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "bua/data/py_random.h"
#include "bua/data/splits.h"
#include "bua/util/atomic_file.h"
#include "bua/util/error.h"
#include "bua_test_paths.h"
#include "test_support.h"

namespace fs = std::filesystem;
using bua::testing::TempDir;

using bua::testing::error_of;

namespace {

// 12 images; images 2, 5, 7, 9, 11 claim COCO ids 502, 505, 507, 509, 511.
std::string twelve_images() {
  std::string json = "[";
  for (int i = 1; i <= 12; ++i) {
    const int coco = (i == 2 || i == 5 || i == 7 || i == 9 || i == 11) ? 500 + i : 0;
    json += std::string(i > 1 ? "," : "") + "{\"image_id\": " + std::to_string(i) + ", \"url\": \"http://a/VG_100K" +
            (i % 3 == 0 ? "_2" : "") + "/" + std::to_string(i) + ".jpg\", \"width\": 10, \"height\": 10, " +
            "\"coco_id\": " + (coco ? std::to_string(coco) : "null") + ", \"flickr_id\": null}";
  }
  return json + "]";
}

struct SmallCase {
  TempDir dir;
  bua::CreateSplitsOptions options;
  SmallCase() {
    bua::write_file_atomic(dir.file("image_data.json"), twelve_images());
    bua::write_file_atomic(dir.file("ktrain.txt"), "train2014/COCO_train2014_000000000502.jpg 502\n");
    bua::write_file_atomic(dir.file("kval.txt"), "val2014/COCO_val2014_000000000505.jpg 505\n");
    bua::write_file_atomic(dir.file("ktest.txt"), "val2014/COCO_val2014_000000000507.jpg 507\n\n");
    options.image_data = dir.file("image_data.json");
    options.out_dir = dir.file("out");
    options.karpathy_train = dir.file("ktrain.txt");
    options.karpathy_val = dir.file("kval.txt");
    options.karpathy_test = dir.file("ktest.txt");
    options.val_size = 2;
    options.test_size = 3;
  }
  std::string split(const std::string& name) const { return bua::read_file(dir.file("out/" + name)); }
};

std::set<int64_t> ids_of(const std::string& path) {
  std::set<int64_t> ids;
  for (const auto& e : bua::read_split_file(path)) ids.insert(e.image_id);
  return ids;
}

}  // namespace

TEST(PyRandom, MatchesPythonsGenerator) {
  // Values printed by CPython: random.seed(s); random.random() / random.getrandbits(32).
  bua::PyRandom r10(10);
  EXPECT_EQ(r10.random(), 0.5714025946899135);
  EXPECT_EQ(r10.random(), 0.4288890546751146);
  EXPECT_EQ(r10.random(), 0.5780913011344704);
  EXPECT_EQ(bua::PyRandom(10).genrand_uint32(), 2454155475u);
  EXPECT_EQ(bua::PyRandom(0).random(), 0.8444218515250481);
  EXPECT_EQ(bua::PyRandom((1ull << 40) + 7).random(), 0.6137037779936511);
}

TEST(PyRandom, ShufflesAsPython2) {
  // for i in reversed(range(1, 10)): j = int(random() * (i + 1)); swap — after random.seed(10).
  bua::PyRandom r(10);
  std::vector<int> x{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  r.shuffle(x);
  EXPECT_EQ(x, (std::vector<int>{8, 6, 0, 2, 9, 7, 1, 4, 3, 5}));
}

TEST(CreateSplits, ReproducesTheOriginalProcedure) {
  SmallCase c;
  auto r = bua::create_splits(c.options);
  EXPECT_EQ(r.images, 12);
  EXPECT_EQ(r.train, 7);
  EXPECT_EQ(r.val, 2);
  EXPECT_EQ(r.test, 3);
  EXPECT_EQ(r.with_coco_id, 5);
  EXPECT_EQ(r.in_karpathy_train, 1);
  EXPECT_EQ(r.in_karpathy_val, 1);
  EXPECT_EQ(r.in_karpathy_test, 1);
  // The original create_splits.py's steps (Python 2 shuffle, random.seed(10)) on the same input.
  EXPECT_EQ(c.split("train.txt"),
            "VG_100K/10.jpg xml/10.xml\nVG_100K/1.jpg xml/1.xml\nVG_100K_2/3.jpg xml/3.xml\n"
            "VG_100K_2/12.jpg xml/12.xml\nVG_100K/11.jpg xml/11.xml\nVG_100K/2.jpg xml/2.xml\n"
            "VG_100K/4.jpg xml/4.xml\n");
  EXPECT_EQ(c.split("val.txt"), "VG_100K/5.jpg xml/5.xml\nVG_100K/8.jpg xml/8.xml\n");
  EXPECT_EQ(c.split("test.txt"), "VG_100K_2/9.jpg xml/9.xml\nVG_100K_2/6.jpg xml/6.xml\nVG_100K/7.jpg xml/7.xml\n");
}

TEST(CreateSplits, KeepsCocoEvaluationImagesOutOfTrainUnderAnySeed) {
  for (uint64_t seed : {0ull, 1ull, 77ull, 123456789ull}) {
    SmallCase c;
    bua::write_file_atomic(c.dir.file("coco_test.json"), R"({"images": [{"id": 509, "file_name": "x"}]})");
    c.options.coco_test = c.dir.file("coco_test.json");
    c.options.seed = seed;
    auto r = bua::create_splits(c.options);
    EXPECT_EQ(r.in_coco_test, 1);
    auto train = ids_of(c.dir.file("out/train.txt")), val = ids_of(c.dir.file("out/val.txt")),
         test = ids_of(c.dir.file("out/test.txt"));
    EXPECT_TRUE(train.count(2));  // Karpathy train
    EXPECT_TRUE(val.count(5));    // Karpathy val
    EXPECT_TRUE(test.count(7));   // Karpathy test
    EXPECT_TRUE(test.count(9));   // COCO test
    EXPECT_EQ(train.size() + val.size() + test.size(), 12u);
    EXPECT_EQ(val.size(), 2u);
    EXPECT_EQ(test.size(), 3u);
  }
}

TEST(CreateSplits, DeterministicUnderSeedAndSizesByFlag) {
  auto run = [](uint64_t seed, int64_t val, int64_t test) {
    SmallCase c;
    c.options.seed = seed;
    c.options.val_size = val;
    c.options.test_size = test;
    bua::create_splits(c.options);
    return c.split("train.txt") + "|" + c.split("val.txt") + "|" + c.split("test.txt");
  };
  EXPECT_EQ(run(5, 2, 3), run(5, 2, 3));
  EXPECT_NE(run(5, 2, 3), run(6, 2, 3));
  SmallCase c;
  c.options.val_size = 4;
  c.options.test_size = 1;
  auto r = bua::create_splits(c.options);
  EXPECT_EQ(r.val, 4);
  EXPECT_EQ(r.test, 1);
  EXPECT_EQ(r.train, 7);
}

TEST(CreateSplits, Errors) {
  {
    SmallCase c;
    c.options.val_size = 0;  // Karpathy val already holds one image
    EXPECT_NE(error_of([&] { bua::create_splits(c.options); }).find("Karpathy val"), std::string::npos);
  }
  {
    SmallCase c;
    c.options.val_size = 6;
    c.options.test_size = 6;
    EXPECT_NE(error_of([&] { bua::create_splits(c.options); }).find("free to fill"), std::string::npos);
  }
  {
    SmallCase c;
    bua::create_splits(c.options);
    std::string e = error_of([&] { bua::create_splits(c.options); });
    EXPECT_NE(e.find("train.txt"), std::string::npos);
    EXPECT_NE(e.find("--overwrite"), std::string::npos);
    c.options.overwrite = true;
    EXPECT_NO_THROW(bua::create_splits(c.options));
  }
  {
    SmallCase c;
    bua::write_file_atomic(c.dir.file("kval.txt"), "val2014/COCO_val2014_000000000505.jpg 505\nbroken line\n");
    std::string e = error_of([&] { bua::create_splits(c.options); });
    EXPECT_NE(e.find("kval.txt:2"), std::string::npos) << e;
  }
  {
    SmallCase c;
    bua::write_file_atomic(c.dir.file("coco.json"), R"({"images": [{"file": 1}]})");
    c.options.coco_test = c.dir.file("coco.json");
    EXPECT_NE(error_of([&] { bua::create_splits(c.options); }).find("coco.json"), std::string::npos);
  }
}

TEST(SplitFiles, ReadsTheReleasedFormat) {
  TempDir dir;
  // First lines of the original release's data/genome/train.txt, then a CRLF line and a blank line.
  bua::write_file_atomic(dir.file("train.txt"),
                         "VG_100K_2/2415417.jpg xml/2415417.xml\nVG_100K_2/170.jpg xml/170.xml\r\n\n"
                         "VG_100K/2371419.jpg xml/2371419.xml");
  auto entries = bua::read_split_file(dir.file("train.txt"));
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].image_file, "VG_100K_2/2415417.jpg");
  EXPECT_EQ(entries[0].annotation_file, "xml/2415417.xml");
  EXPECT_EQ(entries[0].image_id, 2415417);
  EXPECT_EQ(entries[1].image_id, 170);
  EXPECT_EQ(entries[2].image_id, 2371419);
  bua::write_split_file(dir.file("copy.txt"), entries);
  EXPECT_EQ(
      bua::read_file(dir.file("copy.txt")),
      "VG_100K_2/2415417.jpg xml/2415417.xml\nVG_100K_2/170.jpg xml/170.xml\nVG_100K/2371419.jpg xml/2371419.xml\n");

  bua::write_file_atomic(dir.file("bad.txt"), "VG_100K/1.jpg xml/1.xml\nVG_100K/2.jpg\n");
  EXPECT_NE(error_of([&] { bua::read_split_file(dir.file("bad.txt")); }).find("bad.txt:2"), std::string::npos);
  bua::write_file_atomic(dir.file("bad2.txt"), "VG_100K/a.jpg xml/a.xml\n");
  EXPECT_NE(error_of([&] { bua::read_split_file(dir.file("bad2.txt")); }).find("bad2.txt:1"), std::string::npos);
  EXPECT_NE(error_of([&] { bua::read_split_file(dir.file("none.txt")); }).find("none.txt"), std::string::npos);
}

TEST(CreateSplitsTool, Runs) {
  const std::string tool = std::string(BUA_BIN_DIR) + "/create_splits";
  ASSERT_TRUE(fs::exists(tool)) << "build the create_splits target first";
  SmallCase c;
  auto q = bua::testing::shell_quote;
  auto ok = bua::testing::run_command(tool + " --image-data " + q(c.options.image_data) + " --out-dir " +
                                      q(c.options.out_dir) + " --val-size 2 --test-size 3 --karpathy-train " +
                                      q(c.options.karpathy_train) + " --karpathy-val " + q(c.options.karpathy_val) +
                                      " --karpathy-test " + q(c.options.karpathy_test));
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_NE(ok.output.find("train: 7, val: 2, test: 3"), std::string::npos) << ok.output;
  EXPECT_EQ(c.split("val.txt"), "VG_100K/5.jpg xml/5.xml\nVG_100K/8.jpg xml/8.xml\n");
  auto again = bua::testing::run_command(tool + " --image-data " + q(c.options.image_data) + " --out-dir " +
                                         q(c.options.out_dir) + " --val-size 2 --test-size 3");
  EXPECT_NE(again.exit_code, 0);
  EXPECT_NE(again.output.find("create_splits: error:"), std::string::npos) << again.output;
}
