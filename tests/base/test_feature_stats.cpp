// Statistics of feature files (read_tsv --stats): counts, norms and labels against values worked out by
// hand, the sanity checks, the text and the PNG.
#include "bua/io/feature_stats.h"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include <array>
#include <cmath>
#include <filesystem>
#include <limits>

#include "bua/data/vocab.h"
#include "bua/io/feature_stats_plot.h"
#include "bua/io/feature_stats_report.h"
#include "bua/io/tsv.h"
#include "bua/util/atomic_file.h"
#include "test_support.h"

namespace fs = std::filesystem;
using bua::FeatureRecord;
using bua::FeatureStats;
using bua::StatsBar;

// Found by argument-dependent lookup, so in bua.
namespace bua {
bool operator==(const StatsBar& a, const StatsBar& b) { return a.label == b.label && a.count == b.count; }
std::ostream& operator<<(std::ostream& o, const StatsBar& b) { return o << b.label << ":" << b.count; }
}  // namespace bua

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

FeatureRecord record(const std::string& id, int64_t w, int64_t h, std::vector<float> boxes,
                     std::vector<float> features, std::vector<int64_t> objects, std::vector<int64_t> attrs,
                     std::vector<float> attrs_conf) {
  FeatureRecord r;
  r.image_id = id;
  r.image_w = w;
  r.image_h = h;
  r.num_boxes = static_cast<int64_t>(boxes.size() / 4);
  r.boxes = std::move(boxes);
  r.features = std::move(features);
  r.objects_id = std::move(objects);
  r.objects_conf.assign(r.objects_id.size(), 0.9f);
  r.attrs_id = std::move(attrs);
  r.attrs_conf = std::move(attrs_conf);
  return r;
}

// Three images, feature dim 3. Box norms 5, 0 | 3, NaN, 10 | inf: four finite norms (min 0, mean 4.5,
// max 10), one all-zero box, two boxes with 3 non-finite values; box b0 leaves its 50x50 image, box b1
// is inverted. Objects 0,1 | 0,0,3 | 1; attributes 2,2 | 0,(5 at confidence 0),1 | 0.
std::vector<FeatureRecord> sample() {
  return {record("a", 100, 80, {0, 0, 10, 10, 10, 10, 100, 80}, {3, 4, 0, 0, 0, 0}, {0, 1}, {2, 2}, {0.5f, 0.4f}),
          record("b", 50, 50, {0, 0, 60, 10, 20, 20, 10, 30, 1, 1, 2, 2}, {1, 2, 2, kNaN, 1, 1, 6, 8, 0}, {0, 0, 3},
                 {0, 5, 1}, {0.3f, 0.f, 0.2f}),
          record("c", 10, 10, {0, 0, 10, 10}, {kInf, -kInf, 1}, {1}, {0}, {0.7f})};
}

std::string write_lxmert(const bua::testing::TempDir& dir, const std::vector<FeatureRecord>& records) {
  const std::string path = dir.file("features.tsv");
  bua::TsvWriter w(path, bua::TsvLayout::kLxmert);
  for (const auto& r : records) w.write(r);
  w.close();
  return path;
}

// One image that passes every check, in the original layout (no labels): norms 5 and 1, boxes inside.
std::string write_clean(const bua::testing::TempDir& dir) {
  FeatureRecord r = record("clean", 100, 80, {0, 0, 10, 10, 10, 10, 100, 80}, {3, 4, 0, 1, 0, 0}, {}, {}, {});
  r.objects_conf.clear();
  const std::string path = dir.file("clean.tsv");
  bua::TsvWriter w(path, bua::TsvLayout::kOriginal);
  w.write(r);
  w.close();
  return path;
}

// Lines 0, 1, 2 of an objects_vocab.txt: ids 0..2; id 3 is beyond it.
bua::Vocab objects_vocab() { return bua::Vocab(bua::kBackgroundClass, {{"person", "man"}, {"dog"}, {"red car"}}); }
bua::Vocab attributes_vocab() { return bua::Vocab(bua::kNoAttribute, {{"white"}, {"black", "dark"}, {"tall"}}); }

// Pixels of `region` within `tolerance` of a BGR colour.
int pixels_of(const cv::Mat& image, cv::Rect region, cv::Vec3b colour, int tolerance = 40) {
  int n = 0;
  const cv::Mat roi = image(region);
  for (int y = 0; y < roi.rows; ++y)
    for (int x = 0; x < roi.cols; ++x) {
      const cv::Vec3b p = roi.at<cv::Vec3b>(y, x);
      if (std::abs(p[0] - colour[0]) <= tolerance && std::abs(p[1] - colour[1]) <= tolerance &&
          std::abs(p[2] - colour[2]) <= tolerance)
        ++n;
    }
  return n;
}

const cv::Vec3b kBarColour(190, 120, 40), kRed(30, 30, 210), kGreen(40, 150, 40);

}  // namespace

TEST(FeatureStats, CountsNormsLabelsAndProblemsOfAFile) {
  bua::testing::TempDir dir;
  const FeatureStats s = bua::compute_feature_stats(write_lxmert(dir, sample()), false);
  EXPECT_EQ(s.format, "lxmert");
  EXPECT_EQ(s.images, 3);
  EXPECT_EQ(s.boxes, 6);
  EXPECT_EQ(s.min_boxes, 1);
  EXPECT_EQ(s.max_boxes, 3);
  EXPECT_DOUBLE_EQ(s.mean_boxes(), 2.0);
  EXPECT_EQ(s.boxes_per_image.counts[1], 1);
  EXPECT_EQ(s.boxes_per_image.counts[2], 1);
  EXPECT_EQ(s.boxes_per_image.counts[3], 1);
  EXPECT_EQ(s.boxes_per_image.counts[0] + s.boxes_per_image.counts[4] + s.boxes_per_image.more, 0);
  EXPECT_EQ(s.feature_dim, 3);

  EXPECT_EQ(s.norm_count, 4);
  EXPECT_DOUBLE_EQ(s.norm_min, 0.0);
  EXPECT_DOUBLE_EQ(s.norm_max, 10.0);
  EXPECT_DOUBLE_EQ(s.norm_mean(), 4.5);

  EXPECT_EQ(s.nonfinite_feature_boxes, 2);
  EXPECT_EQ(s.nonfinite_feature_values, 3);
  EXPECT_EQ(s.zero_feature_boxes, 1);
  EXPECT_EQ(s.boxes_outside_image, 1);
  EXPECT_EQ(s.inverted_boxes, 1);
  EXPECT_EQ(s.images_without_boxes, 0);
  EXPECT_EQ(s.images_with_other_dim, 0);

  EXPECT_EQ(s.images_with_objects, 3);
  EXPECT_EQ(s.objects.total, 6);
  EXPECT_EQ(s.objects.counts, (std::vector<int64_t>{3, 2, 0, 1}));
  EXPECT_EQ(s.objects.distinct(), 3);
  EXPECT_EQ(s.attributes.total, 5);
  EXPECT_EQ(s.attributes.counts, (std::vector<int64_t>{2, 1, 2}));
  EXPECT_EQ(s.attributes_without_confidence, 1);
}

TEST(FeatureStats, AFolderOfNpzFilesGivesTheSameStatistics) {
  bua::testing::TempDir dir;
  const FeatureStats tsv = bua::compute_feature_stats(write_lxmert(dir, sample()), false);
  const std::string folder = dir.file("npz");
  fs::create_directories(folder);
  for (const auto& r : sample()) bua::write_feature_npz(bua::feature_npz_path(folder, r.image_id), r);
  FeatureRecord empty;  // an .npz may hold an image without boxes, which a TSV row cannot
  empty.image_id = "d";
  empty.image_w = empty.image_h = 10;
  bua::write_feature_npz(bua::feature_npz_path(folder, "d"), empty);

  const FeatureStats npz = bua::compute_feature_stats(folder, false);
  EXPECT_EQ(npz.format, "npz");
  EXPECT_EQ(npz.images, 4);
  EXPECT_EQ(npz.boxes, tsv.boxes);
  EXPECT_EQ(npz.min_boxes, 0);
  EXPECT_EQ(npz.boxes_per_image.counts[0], 1);
  EXPECT_EQ(npz.images_without_boxes, 1);
  EXPECT_EQ(npz.norm_count, tsv.norm_count);
  EXPECT_EQ(npz.norm_sum, tsv.norm_sum);
  EXPECT_EQ(npz.norms.counts, tsv.norms.counts);
  EXPECT_EQ(npz.nonfinite_feature_values, tsv.nonfinite_feature_values);
  EXPECT_EQ(npz.boxes_outside_image, tsv.boxes_outside_image);
  EXPECT_EQ(npz.objects.counts, tsv.objects.counts);
  EXPECT_EQ(npz.attributes.counts, tsv.attributes.counts);
}

TEST(FeatureStats, NormHistogramDoublesItsRangeWithExactBins) {
  ASSERT_EQ(bua::StreamingHistogram::kBins, 512);
  // 5 sets the range [0, 8) (bins of 1/64); 10 doubles it to [0, 16) (bins of 1/32), merging bins.
  bua::StreamingHistogram h;
  for (double v : {5.0, 0.0, 3.0}) h.add(v);
  EXPECT_DOUBLE_EQ(h.upper, 8.0);
  EXPECT_EQ(h.counts[320], 1);
  EXPECT_EQ(h.counts[192], 1);
  h.add(10.0);
  EXPECT_DOUBLE_EQ(h.upper, 16.0);
  std::array<int64_t, bua::StreamingHistogram::kBins> expected{};
  expected[0] = expected[96] = expected[160] = expected[320] = 1;
  EXPECT_EQ(h.counts, expected);
  h.add(16.0);  // a value equal to the range's end doubles it too
  EXPECT_DOUBLE_EQ(h.upper, 32.0);
  expected = {};  // bins of 1/16: 0, 3, 5, 10, 16
  expected[0] = expected[48] = expected[80] = expected[160] = expected[256] = 1;
  EXPECT_EQ(h.counts, expected);

  // Zeros before any positive value stay in bin 0 of a range still unset.
  bua::StreamingHistogram zeros;
  zeros.add(0);
  zeros.add(0);
  EXPECT_EQ(zeros.upper, 0);
  EXPECT_EQ(zeros.counts[0], 2);
  zeros.add(0.3);  // [0, 0.5)
  EXPECT_DOUBLE_EQ(zeros.upper, 0.5);
  EXPECT_EQ(zeros.counts[307], 1);  // 0.3 / (0.5 / 512) = 307.2
}

TEST(FeatureStats, BarsForTheTextAndThePlot) {
  bua::testing::TempDir dir;
  const FeatureStats s = bua::compute_feature_stats(write_lxmert(dir, sample()), false);
  EXPECT_EQ(bua::box_count_bars(s), (std::vector<StatsBar>{{"1", 1}, {"2", 1}, {"3", 1}}));

  // Norms 0, 3, 5, 10 in bins 0, 96, 160, 320 of width 1/32: bars of 32 bins (the first power of two
  // giving at most 16 bars), i.e. of width 1 from 0 to 11.
  const std::vector<StatsBar> norms = bua::norm_bars(s);
  ASSERT_EQ(norms.size(), 11u);
  EXPECT_EQ(norms[0], (StatsBar{"0-1", 1}));
  EXPECT_EQ(norms[3], (StatsBar{"3-4", 1}));
  EXPECT_EQ(norms[5], (StatsBar{"5-6", 1}));
  EXPECT_EQ(norms[10], (StatsBar{"10-11", 1}));
  int64_t total = 0;
  for (const auto& b : norms) total += b.count;
  EXPECT_EQ(total, 4);

  const bua::Vocab ov = objects_vocab(), av = attributes_vocab();
  EXPECT_EQ(bua::top_labels(s.objects, &ov), (std::vector<StatsBar>{{"person (0)", 3}, {"dog (1)", 2}, {"? (3)", 1}}));
  EXPECT_EQ(bua::top_labels(s.objects, nullptr), (std::vector<StatsBar>{{"0", 3}, {"1", 2}, {"3", 1}}));
  // Ties: the lower id first.
  EXPECT_EQ(bua::top_labels(s.attributes, &av),
            (std::vector<StatsBar>{{"white (0)", 2}, {"tall (2)", 2}, {"black (1)", 1}}));
  EXPECT_EQ(bua::top_labels(s.attributes, &av, 1), (std::vector<StatsBar>{{"white (0)", 2}}));

  // 10..100 boxes in bars of 5 (ceil(91 / 20)), the last one alone; more than 100 in a bar of their own.
  FeatureStats wide;
  for (int64_t n : {10, 12, 99, 100, 150}) {
    FeatureRecord r;
    r.image_id = std::to_string(n);
    r.num_boxes = n;
    r.boxes.assign(static_cast<size_t>(n) * 4, 1.f);
    r.features.assign(static_cast<size_t>(n), 1.f);
    r.image_w = r.image_h = 10;
    wide.add(r);
  }
  const std::vector<StatsBar> bars = bua::box_count_bars(wide);
  ASSERT_EQ(bars.size(), 20u);
  EXPECT_EQ(bars.front(), (StatsBar{"10-14", 2}));
  EXPECT_EQ(bars[17], (StatsBar{"95-99", 1}));
  EXPECT_EQ(bars[18], (StatsBar{"100", 1}));
  EXPECT_EQ(bars[19], (StatsBar{">100", 1}));
}

TEST(FeatureStats, ChecksOfRecordsNoWriterWouldAccept) {
  FeatureStats s;
  FeatureRecord empty;
  empty.image_id = "empty";
  s.add(empty);
  FeatureRecord a = sample()[0];
  s.add(a);
  FeatureRecord wider = a;  // feature dim 6 after dim 3
  wider.features.resize(12, 0.5f);
  s.add(wider);
  FeatureRecord odd = a;
  odd.objects_id = {-1, 70000};  // no vocabulary has these
  s.add(odd);
  EXPECT_EQ(s.images_without_boxes, 1);
  EXPECT_EQ(s.min_boxes, 0);
  EXPECT_EQ(s.feature_dim, 3);
  EXPECT_EQ(s.images_with_other_dim, 1);
  EXPECT_EQ(s.objects.out_of_range, 2);
  EXPECT_EQ(s.objects.total, 6);

  const auto checks = bua::stats_checks(s, nullptr, nullptr);
  auto count_of = [&](const std::string& what) {
    for (const auto& c : checks)
      if (c.what == what) return c.count;
    ADD_FAILURE() << "no check " << what;
    return int64_t{-1};
  };
  EXPECT_EQ(count_of("images without boxes"), 1);
  EXPECT_EQ(count_of("images whose feature dim is not 3"), 1);
  EXPECT_EQ(count_of("object ids out of range"), 2);
  EXPECT_EQ(count_of("attribute ids out of range"), 0);
  EXPECT_EQ(count_of("boxes with all-zero features"), 2);  // box 2 of a and of odd (wider: [3 4 0 0 0 0], [0.5 x 6])
}

TEST(FeatureStats, TextNamesLabelsAndFlagsProblems) {
  bua::testing::TempDir dir;
  const FeatureStats s = bua::compute_feature_stats(write_lxmert(dir, sample()), false);
  const bua::Vocab ov = objects_vocab(), av = attributes_vocab();
  const std::string text = bua::format_feature_stats(s, &ov, &av);
  const auto has = [&](const std::string& line) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  };
  has(": 3 images (lxmert layout), 6 boxes, feature dim 3\n");
  has("boxes per image: min 1, mean 2.00, max 3\n");
  has("  1          1  " + std::string(40, '#') + "\n");
  has("feature L2 norm per box: min 0, mean 4.5, max 10\n");
  has("objects: 6 boxes labelled, 3 distinct ids of 3 in the vocabulary; most frequent:\n");
  has("           3  50.00%  person (0)\n");
  has("           1  16.67%  ? (3)\n");
  has("attributes: 5 boxes labelled, 3 distinct ids of 3 in the vocabulary; most frequent:\n");
  has("           2  40.00%  tall (2)\n");
  has("(1 boxes have attribute confidence 0");
  has("checks: 5 failed, marked !\n");
  has("! boxes with NaN/inf features: 2 (3 values)\n");
  has("! boxes with all-zero features: 1\n");
  has("! boxes outside their image: 1\n");
  has("! inverted boxes (x2 < x1 or y2 < y1): 1\n");
  has("  images without boxes: 0\n");
  has("! object ids beyond the vocabulary (3 lines): 1\n");
  has("  attribute ids beyond the vocabulary (3 lines): 0\n");

  // A clean file passes every check; without labels it says so.
  const std::string path = write_clean(dir);
  const std::string clean_text = bua::format_feature_stats(bua::compute_feature_stats(path, false), nullptr, nullptr);
  EXPECT_NE(clean_text.find("checks: all passed\n"), std::string::npos) << clean_text;
  EXPECT_NE(clean_text.find("objects/attributes: none in this file"), std::string::npos) << clean_text;
  EXPECT_EQ(clean_text.find("! "), std::string::npos) << clean_text;
}

TEST(FeatureStats, ReportWritesTextAndPngThatDecode) {
  bua::testing::TempDir dir;
  const std::string input = write_lxmert(dir, sample());
  bua::write_file_atomic(dir.file("objects.txt"), "person,man\n Dog\nred car\n");
  bua::write_file_atomic(dir.file("attributes.txt"), "white\nblack,dark\ntall\n");
  bua::StatsReportOptions options;
  options.prefix = dir.file("out/stats");
  options.objects_vocab = dir.file("objects.txt");
  options.attributes_vocab = dir.file("attributes.txt");
  options.progress = false;
  // A missing output folder fails before the input is read, and writes nothing.
  EXPECT_NE(bua::testing::error_of([&] { bua::write_feature_stats_report(input, options); })
                .find(dir.file("out/stats.txt") + ": cannot be written: the folder " + dir.file("out")),
            std::string::npos);
  fs::create_directories(dir.file("out"));
  const bua::StatsReport report = bua::write_feature_stats_report(input, options);
  EXPECT_EQ(report.text_path, dir.file("out/stats.txt"));
  EXPECT_EQ(report.png_path, dir.file("out/stats.png"));
  EXPECT_EQ(bua::read_file(report.text_path), report.text);
  EXPECT_NE(report.text.find("  person (0)\n"), std::string::npos) << report.text;
  EXPECT_NE(report.text.find("  dog (1)"), std::string::npos) << report.text;  // lower-cased, stripped as vg.py does

  const cv::Mat png = cv::imread(report.png_path, cv::IMREAD_COLOR);
  ASSERT_FALSE(png.empty());
  EXPECT_EQ(png.cols, bua::kStatsPlotWidth);
  EXPECT_EQ(png.rows, bua::kStatsPlotHeight);
  // Failed checks in red in the title strip; bars in all four panels.
  const int w = bua::kStatsPlotWidth / 2, top = 70, h = (bua::kStatsPlotHeight - top) / 2;
  EXPECT_GT(pixels_of(png, {0, 0, bua::kStatsPlotWidth, top}, kRed), 50);
  EXPECT_EQ(pixels_of(png, {0, 0, bua::kStatsPlotWidth, top}, kGreen, 20), 0);
  for (int panel = 0; panel < 4; ++panel)
    EXPECT_GT(pixels_of(png, {(panel % 2) * w, top + (panel / 2) * h, w, h}, kBarColour, 10), 200) << panel;

  // Default outputs: beside the input. A file without labels has empty label panels and passes its checks.
  const std::string plain = write_clean(dir);
  const bua::StatsReport plain_report = bua::write_feature_stats_report(plain, {"", "", "", false});
  EXPECT_EQ(plain_report.png_path, plain + ".stats.png");
  const cv::Mat plain_png = cv::imread(plain_report.png_path, cv::IMREAD_COLOR);
  ASSERT_FALSE(plain_png.empty());
  EXPECT_GT(pixels_of(plain_png, {0, 0, bua::kStatsPlotWidth, top}, kGreen, 20), 20);
  EXPECT_EQ(pixels_of(plain_png, {0, 0, bua::kStatsPlotWidth, top}, kRed), 0);
  EXPECT_EQ(pixels_of(plain_png, {0, top + h, bua::kStatsPlotWidth, h}, kBarColour, 10), 0);

  // Never over the input: features.txt with the prefix "features".
  bua::StatsReportOptions over{dir.file("features"), "", "", false};
  const std::string txt_input = dir.file("features.txt");
  bua::write_file_atomic(txt_input, bua::read_file(input));
  EXPECT_NE(bua::testing::error_of([&] { bua::write_feature_stats_report(txt_input, over); })
                .find(txt_input + ": is the input"),
            std::string::npos);
  EXPECT_EQ(bua::read_file(txt_input), bua::read_file(input));
}
