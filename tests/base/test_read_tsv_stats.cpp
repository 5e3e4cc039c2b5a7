// read_tsv --stats run as a user would: what it prints, the files it writes (and those it must not).
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include <filesystem>

#include "bua/io/feature_stats_plot.h"
#include "bua/io/tsv.h"
#include "bua/util/atomic_file.h"
#include "bua_test_paths.h"
#include "test_support.h"

namespace fs = std::filesystem;
using bua::testing::CommandResult;
using bua::testing::shell_quote;

namespace {

const std::string kLxmert = std::string(BUA_TEST_DATA) + "/tsv/lxmert.tsv";

class ReadTsvStats : public ::testing::Test {
 protected:
  void SetUp() override {
    tool_ = std::string(BUA_BIN_DIR) + "/read_tsv";
    ASSERT_TRUE(fs::exists(tool_)) << tool_ << " is not built (build the read_tsv target)";
    // Two images of two boxes, feature dim 2: norms 5, 0 (all zero) | 13, 1; the second image's first box
    // leaves its 20x20 image. Objects 1, 1 | 0, 2; attributes 0, 0 | 1, 0.
    path_ = tmp_.file("small.tsv");
    bua::TsvWriter w(path_, bua::TsvLayout::kLxmert);
    w.write(record("1", 40, 30, {0, 0, 10, 10, 5, 5, 40, 30}, {3, 4, 0, 0}, {1, 1}, {0, 0}));
    w.write(record("2", 20, 20, {0, 0, 25, 10, 1, 1, 2, 2}, {5, 12, 0, 1}, {0, 2}, {1, 0}));
    w.close();
    bua::write_file_atomic(tmp_.file("objects.txt"), "cat\nhat,cap\nmat\n");
    bua::write_file_atomic(tmp_.file("attributes.txt"), "red,reddish\nblue\n");
  }
  static bua::FeatureRecord record(const std::string& id, int64_t w, int64_t h, std::vector<float> boxes,
                                   std::vector<float> features, std::vector<int64_t> objects,
                                   std::vector<int64_t> attrs) {
    bua::FeatureRecord r;
    r.image_id = id;
    r.image_w = w;
    r.image_h = h;
    r.num_boxes = 2;
    r.boxes = std::move(boxes);
    r.features = std::move(features);
    r.objects_id = std::move(objects);
    r.objects_conf = {0.9f, 0.8f};
    r.attrs_id = std::move(attrs);
    r.attrs_conf = {0.5f, 0.6f};
    return r;
  }
  CommandResult run(const std::string& args) { return bua::testing::run_command(shell_quote(tool_) + " " + args); }
  std::string vocabs() const {
    return " --objects-vocab " + shell_quote(tmp_.file("objects.txt")) + " --attributes-vocab " +
           shell_quote(tmp_.file("attributes.txt"));
  }

  std::string tool_, path_;
  bua::testing::TempDir tmp_;
};

}  // namespace

TEST_F(ReadTsvStats, PrintsAndWritesTextAndPng) {
  const std::string prefix = tmp_.file("report");
  CommandResult r = run(shell_quote(path_) + " --stats -q --stats-out " + shell_quote(prefix) + vocabs());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto has = [&](const std::string& s) {
    EXPECT_NE(r.output.find(s), std::string::npos) << s << "\n" << r.output;
  };
  has(path_ + ": 2 images (lxmert layout), 4 boxes, feature dim 2\n");
  has("boxes per image: min 2, mean 2.00, max 2\n");
  has("feature L2 norm per box: min 0, mean 4.75, max 13\n");
  has("           2  50.00%  hat (1)\n");
  has("           1  25.00%  cat (0)\n");
  has("           1  25.00%  mat (2)\n");
  has("           3  75.00%  red (0)\n");
  has("           1  25.00%  blue (1)\n");
  has("checks: 2 failed, marked !\n");
  has("! boxes with all-zero features: 1\n");
  has("! boxes outside their image: 1\n");
  has("wrote " + prefix + ".txt and " + prefix + ".png\n");
  // The file holds the report as printed.
  EXPECT_NE(r.output.find(bua::read_file(prefix + ".txt")), std::string::npos);
  const cv::Mat png = cv::imread(prefix + ".png", cv::IMREAD_COLOR);
  ASSERT_FALSE(png.empty());
  EXPECT_EQ(png.cols, bua::kStatsPlotWidth);
  EXPECT_EQ(png.rows, bua::kStatsPlotHeight);

  // Default prefix: the input's path + ".stats". The reference LXMERT file passes every check.
  const std::string copy = tmp_.file("coco.tsv");
  fs::copy_file(kLxmert, copy);
  r = run(shell_quote(copy) + " --stats");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find(copy + ": 4 images (lxmert layout), 147 boxes, feature dim 2048\n"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("checks: all passed\n"), std::string::npos) << r.output;
  EXPECT_TRUE(fs::exists(copy + ".stats.txt"));
  EXPECT_TRUE(fs::exists(copy + ".stats.png"));
}

TEST_F(ReadTsvStats, ErrorsNameTheFileAndLeaveNoOutputs) {
  // A corrupt row: the error names its line; no report is written.
  std::string text = bua::read_file(path_);
  text[text.find('\n') + 40] = '*';  // inside the second row's objects_conf field
  const std::string bad = tmp_.file("bad.tsv");
  bua::write_file_atomic(bad, text);
  CommandResult r = run(shell_quote(bad) + " --stats -q");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("read_tsv: error: " + bad + ":2: image 2: "), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(bad + ".stats.txt"));
  EXPECT_FALSE(fs::exists(bad + ".stats.png"));

  // A vocabulary with a blank line.
  bua::write_file_atomic(tmp_.file("blank.txt"), "cat\n\nmat\n");
  r = run(shell_quote(path_) + " --stats -q --objects-vocab " + shell_quote(tmp_.file("blank.txt")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("read_tsv: error: " + tmp_.file("blank.txt") + ":2: blank line in vocabulary"),
            std::string::npos)
      << r.output;

  // An output folder that does not exist.
  r = run(shell_quote(path_) + " --stats -q --stats-out " + shell_quote(tmp_.file("no/such/prefix")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find(tmp_.file("no/such/prefix.txt") + ": cannot be written"), std::string::npos) << r.output;

  // The stats flags belong to --stats, which is a mode of its own.
  r = run(shell_quote(path_) + vocabs());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("only used with --stats"), std::string::npos) << r.output;
  r = run(shell_quote(path_) + " --stats --show 1");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("give at most one of"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(path_ + ".stats.txt"));
}
