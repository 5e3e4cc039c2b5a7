#include "bua/io/feature_stats_plot.h"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstdio>

#include "bua/data/vocab.h"

namespace bua {
namespace {

const cv::Scalar kWhite(255, 255, 255), kInk(40, 40, 40), kGrey(150, 150, 150), kGrid(225, 225, 225),
    kBar(190, 120, 40), kRed(30, 30, 210), kGreen(40, 150, 40);
constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;
constexpr int kTitleHeight = 70;

int text_width(const std::string& s, double scale) {
  int baseline = 0;
  return cv::getTextSize(s, kFont, scale, 1, &baseline).width;
}

// `s` cut (ending in "..") to fit in `width` pixels.
std::string fit(std::string s, double scale, int width) {
  if (text_width(s, scale) <= width) return s;
  while (!s.empty() && text_width(s + "..", scale) > width) s.pop_back();
  return s + "..";
}

void put(cv::Mat& m, const std::string& s, cv::Point baseline_left, double scale, const cv::Scalar& colour) {
  cv::putText(m, s, baseline_left, kFont, scale, colour, 1, cv::LINE_AA);
}

void put_right(cv::Mat& m, const std::string& s, cv::Point baseline_right, double scale, const cv::Scalar& colour) {
  put(m, s, {baseline_right.x - text_width(s, scale), baseline_right.y}, scale, colour);
}

// Text read bottom to top, its right end (the end of the string) at `top_centre`: x labels of many narrow
// bars. Drawn on white and rotated, then merged with cv::min so it only darkens the panel.
void put_vertical(cv::Mat& m, const std::string& s, cv::Point top_centre, double scale) {
  int baseline = 0;
  const cv::Size ts = cv::getTextSize(s, kFont, scale, 1, &baseline);
  cv::Mat strip(ts.height + baseline + 2, ts.width + 2, m.type(), kWhite);
  put(strip, s, {1, ts.height + 1}, scale, kInk);
  cv::Mat up;
  cv::rotate(strip, up, cv::ROTATE_90_COUNTERCLOCKWISE);
  cv::Rect at(top_centre.x - up.cols / 2, top_centre.y, up.cols, up.rows);
  const cv::Rect clipped = at & cv::Rect(0, 0, m.cols, m.rows);
  if (clipped.empty()) return;
  cv::Mat src = up(clipped - at.tl()), dst = m(clipped);
  cv::min(dst, src, dst);
}

void frame(cv::Mat& panel, const std::string& title) {
  cv::rectangle(panel, {0, 0}, {panel.cols - 1, panel.rows - 1}, kGrid, 1);
  put(panel, fit(title, 0.6, panel.cols - 20), {12, 28}, 0.6, kInk);
}

void empty_panel(cv::Mat& panel, const std::string& message) {
  put(panel, message, {(panel.cols - text_width(message, 0.55)) / 2, panel.rows / 2}, 0.55, kGrey);
}

// Vertical bars with counts, the y axis at 0, half and the largest count.
void histogram_panel(cv::Mat panel, const std::string& title, const std::string& x_name,
                     const std::vector<StatsBar>& bars) {
  frame(panel, title);
  if (bars.empty()) return empty_panel(panel, "no data");
  const int left = 80, right = panel.cols - 20, top = 60, bottom = panel.rows - 90;
  int64_t most = 1;
  for (const auto& b : bars) most = std::max(most, b.count);
  std::vector<int64_t> ticks{0};
  if (most / 2 > 0) ticks.push_back(most / 2);  // not a second 0 over the first
  ticks.push_back(most);
  for (int64_t tick : ticks) {
    const int y = bottom - static_cast<int>((bottom - top) * tick / most);
    cv::line(panel, {left, y}, {right, y}, kGrid, 1);
    put_right(panel, std::to_string(tick), {left - 6, y + 5}, 0.45, kInk);
  }
  const double slot = static_cast<double>(right - left) / bars.size();
  for (size_t i = 0; i < bars.size(); ++i) {
    const int x0 = left + static_cast<int>(slot * i + slot * 0.1), x1 = left + static_cast<int>(slot * (i + 0.9));
    const int y = bottom - static_cast<int>((bottom - top) * bars[i].count / most);
    if (bars[i].count) cv::rectangle(panel, {x0, y}, {std::max(x0, x1), bottom}, kBar, cv::FILLED);
    const std::string n = std::to_string(bars[i].count);
    if (text_width(n, 0.35) < slot) put(panel, n, {(x0 + x1 - text_width(n, 0.35)) / 2, y - 4}, 0.35, kInk);
    put_vertical(panel, bars[i].label, {(x0 + x1) / 2, bottom + 6}, 0.4);
  }
  cv::line(panel, {left, bottom}, {right, bottom}, kInk, 1);
  put_right(panel, x_name, {right, panel.rows - 8}, 0.45, kGrey);
}

// Horizontal bars, one row per label, most frequent first.
void ranking_panel(cv::Mat panel, const std::string& title, const std::vector<StatsBar>& bars, int64_t total,
                   const std::string& empty_message) {
  frame(panel, title);
  if (bars.empty()) return empty_panel(panel, empty_message);
  const int names = 220, top = 48, right = panel.cols - 110;
  const int row = std::min(20, (panel.rows - top - 8) / static_cast<int>(bars.size()));
  const int64_t most = std::max<int64_t>(1, bars.front().count);
  for (size_t i = 0; i < bars.size(); ++i) {
    const int y = top + row * static_cast<int>(i);
    put_right(panel, fit(bars[i].label, 0.42, names - 16), {names - 8, y + row - 5}, 0.42, kInk);
    const int x1 = names + static_cast<int>((right - names) * bars[i].count / most);
    cv::rectangle(panel, {names, y + 3}, {std::max(names + 1, x1), y + row - 2}, kBar, cv::FILLED);
    char n[48];
    std::snprintf(n, sizeof(n), "%lld (%.1f%%)", static_cast<long long>(bars[i].count),
                  total ? 100.0 * bars[i].count / total : 0.0);
    put(panel, n, {x1 + 6, y + row - 5}, 0.38, kInk);
  }
}

}  // namespace

cv::Mat plot_feature_stats(const FeatureStats& st, const Vocab* objects_vocab, const Vocab* attributes_vocab) {
  cv::Mat image(kStatsPlotHeight, kStatsPlotWidth, CV_8UC3, kWhite);

  std::string summary = st.path + ": " + std::to_string(st.images) + " images, " + std::to_string(st.boxes) +
                        " boxes, feature dim " + std::to_string(st.feature_dim);
  put(image, fit(summary, 0.65, kStatsPlotWidth - 24), {12, 28}, 0.65, kInk);
  std::string failed;
  for (const auto& c : stats_checks(st, objects_vocab, attributes_vocab))
    if (c.count) failed += (failed.empty() ? "" : "; ") + std::to_string(c.count) + " " + c.what;
  if (failed.empty()) put(image, st.images ? "checks: all passed" : "no rows", {12, 56}, 0.55, kGreen);
  else put(image, fit("checks failed: " + failed, 0.55, kStatsPlotWidth - 24), {12, 56}, 0.55, kRed);

  const int w = kStatsPlotWidth / 2, h = (kStatsPlotHeight - kTitleHeight) / 2;
  auto panel = [&](int col, int row) { return image(cv::Rect(col * w, kTitleHeight + row * h, w, h)); };
  char mean[160];
  std::snprintf(mean, sizeof(mean), "boxes per image (min %lld, mean %.2f, max %lld)",
                static_cast<long long>(st.min_boxes), st.mean_boxes(), static_cast<long long>(st.max_boxes));
  histogram_panel(panel(0, 0), mean, "boxes", box_count_bars(st));
  char norms[160];
  std::snprintf(norms, sizeof(norms), "feature L2 norm per box (min %.4g, mean %.4g, max %.4g)", st.norm_min,
                st.norm_mean(), st.norm_max);
  histogram_panel(panel(1, 0), norms, "L2 norm", norm_bars(st));
  const std::string none = "no object/attribute labels in this file";
  ranking_panel(panel(0, 1), "top 20 objects", top_labels(st.objects, objects_vocab), st.objects.total, none);
  ranking_panel(panel(1, 1), "top 20 attributes", top_labels(st.attributes, attributes_vocab), st.attributes.total,
                none);
  return image;
}

}  // namespace bua
