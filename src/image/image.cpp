#include "bua/image/image.h"

#include <torch/torch.h>

#include <cmath>
#include <fstream>
#include <iterator>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "bua/util/error.h"

namespace bua {

ExifMode parse_exif_mode(const std::string& name) {
  if (name == "apply") return ExifMode::kApply;
  if (name == "ignore") return ExifMode::kIgnore;
  fail("--exif", "expected apply or ignore, got '" + name + "'");
}

cv::Mat decode_image(const std::vector<uint8_t>& bytes, const std::string& name, ExifMode exif) {
  if (bytes.empty()) fail(name, "empty file");
  cv::Mat img;
  const int flags = cv::IMREAD_COLOR | (exif == ExifMode::kIgnore ? cv::IMREAD_IGNORE_ORIENTATION : 0);
  try {
    img = cv::imdecode(bytes, flags);
  } catch (const cv::Exception& e) {
    fail(name, std::string("cannot decode image: ") + e.what());
  }
  if (img.empty()) fail(name, "not a decodable image (corrupt or unsupported format)");
  return img;
}

cv::Mat read_image(const std::string& path, ExifMode exif) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open image file");
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return decode_image(bytes, path, exif);
}

double image_scale(int64_t height, int64_t width, int64_t target_size, int64_t max_size) {
  const double lo = static_cast<double>(std::min(height, width)), hi = static_cast<double>(std::max(height, width));
  double scale = static_cast<double>(target_size) / lo;
  // np.round rounds half to even.
  if (std::nearbyint(scale * hi) > static_cast<double>(max_size)) scale = static_cast<double>(max_size) / hi;
  return scale;
}

PreparedImage prepare_image(const cv::Mat& bgr, const std::vector<double>& pixel_means, int64_t target_size,
                            int64_t max_size) {
  if (bgr.empty() || bgr.type() != CV_8UC3) fail("prepare_image", "expected a decoded 8-bit BGR image");
  if (pixel_means.size() != 3) fail("prepare_image", "PIXEL_MEANS needs 3 values (B, G, R)");
  // numpy subtracts the float64 means from the float32 image in float64, then stores float32.
  cv::Mat centred(bgr.size(), CV_32FC3);
  for (int y = 0; y < bgr.rows; ++y) {
    const uint8_t* src = bgr.ptr<uint8_t>(y);
    float* dst = centred.ptr<float>(y);
    for (int x = 0; x < bgr.cols * 3; ++x) dst[x] = static_cast<float>(src[x] - pixel_means[x % 3]);
  }
  PreparedImage out;
  out.image_h = bgr.rows;
  out.image_w = bgr.cols;
  out.scale = image_scale(bgr.rows, bgr.cols, target_size, max_size);
  cv::Mat resized;
  // dsize left empty: OpenCV then maps pixels with fx/fy themselves, as the original call does.
  cv::resize(centred, resized, cv::Size(), out.scale, out.scale, cv::INTER_LINEAR);
  auto hwc = torch::from_blob(resized.data, {resized.rows, resized.cols, 3}, torch::kFloat);
  out.blob = hwc.permute({2, 0, 1}).unsqueeze(0).contiguous();  // copies out of the cv::Mat
  return out;
}

}  // namespace bua
