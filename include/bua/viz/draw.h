// Pictures of detections: boxes with their labels over the image, written as PNG.
#pragma once
#include <opencv2/core/mat.hpp>

#include <string>
#include <vector>

namespace bua {

struct DrawnBox {
  float x1, y1, x2, y2;
  std::string text;  // e.g. "black shirt 0.87"; empty draws the box alone
};

// A copy of `bgr` with the boxes drawn, each in its own colour, its text on a filled tab above it.
cv::Mat draw_boxes(const cv::Mat& bgr, const std::vector<DrawnBox>& boxes);

// Encodes PNG and writes it through a temp file. Throws bua::Error naming the file.
void write_png(const std::string& path, const cv::Mat& image);

}  // namespace bua
