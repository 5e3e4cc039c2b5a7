#include "bua/viz/draw.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "bua/util/atomic_file.h"
#include "bua/util/error.h"

namespace bua {

namespace {

cv::Scalar colour(size_t i) {
  // Well-separated hues; BGR.
  static const cv::Scalar palette[] = {{48, 48, 255}, {255, 128, 0}, {0, 200, 0}, {0, 200, 255}, {255, 0, 200},
                                       {200, 200, 0}, {128, 0, 255}, {0, 128, 255}, {255, 255, 0}, {128, 255, 128}};
  return palette[i % (sizeof(palette) / sizeof(palette[0]))];
}

}  // namespace

cv::Mat draw_boxes(const cv::Mat& bgr, const std::vector<DrawnBox>& boxes) {
  cv::Mat out = bgr.clone();
  const double font_scale = std::max(0.4, std::min(out.cols, out.rows) / 900.0);
  const int thickness = std::max(1, static_cast<int>(std::round(std::min(out.cols, out.rows) / 300.0)));
  for (size_t i = 0; i < boxes.size(); ++i) {
    const auto& b = boxes[i];
    const cv::Point p1(static_cast<int>(std::lround(b.x1)), static_cast<int>(std::lround(b.y1)));
    const cv::Point p2(static_cast<int>(std::lround(b.x2)), static_cast<int>(std::lround(b.y2)));
    cv::rectangle(out, p1, p2, colour(i), thickness);
    if (b.text.empty()) continue;
    int baseline = 0;
    const cv::Size ts = cv::getTextSize(b.text, cv::FONT_HERSHEY_SIMPLEX, font_scale, 1, &baseline);
    const int top = std::max(0, p1.y - ts.height - baseline - 2);
    cv::rectangle(out, cv::Point(p1.x, top), cv::Point(p1.x + ts.width + 4, top + ts.height + baseline + 2), colour(i),
                  cv::FILLED);
    cv::putText(out, b.text, cv::Point(p1.x + 2, top + ts.height + 1), cv::FONT_HERSHEY_SIMPLEX, font_scale,
                cv::Scalar(255, 255, 255), 1, cv::LINE_AA);
  }
  return out;
}

void write_png(const std::string& path, const cv::Mat& image) {
  std::vector<uint8_t> bytes;
  if (!cv::imencode(".png", image, bytes)) fail(path, "PNG encoding failed");
  write_file_atomic(path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

}  // namespace bua
