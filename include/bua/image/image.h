// Images in, network blobs out, as the original lib/fast_rcnn/test.py (_get_image_blob) prepares them:
// OpenCV decoding (BGR, 8-bit, EXIF orientation), float32, mean subtraction, *then* resizing with
// cv2.resize(fx=fy=scale, INTER_LINEAR) — the order matters for the border pixels.
#pragma once
#include <opencv2/core/mat.hpp>
#include <torch/types.h>

#include <string>
#include <vector>

namespace bua {

// A JPEG's EXIF orientation (phone photos): cv2.imread rotates the pixels by it since OpenCV 3.1 (kApply, our
// default, what the original's cv2.imread and the Python ports do with today's OpenCV, and what image viewers
// show); PIL and OpenCV 2.x leave the stored pixels as they are (kIgnore). Either way, the image size and the
// boxes written refer to the image as decoded.
enum class ExifMode { kApply, kIgnore };
ExifMode parse_exif_mode(const std::string& name);  // "apply" | "ignore"

// Decodes an image file as cv2.imread(path, IMREAD_COLOR). Throws bua::Error naming the file when it is
// missing, unreadable or not a decodable image.
cv::Mat read_image(const std::string& path, ExifMode exif = ExifMode::kApply);
// The same from bytes already in memory (`name` is used in messages).
cv::Mat decode_image(const std::vector<uint8_t>& bytes, const std::string& name, ExifMode exif = ExifMode::kApply);

// The original's scale rule: target / min side, unless round(scale * max side) > max_size.
double image_scale(int64_t height, int64_t width, int64_t target_size, int64_t max_size);

struct PreparedImage {
  torch::Tensor blob;  // [1,3,h,w] float32, mean-subtracted, resized
  int64_t image_h = 0, image_w = 0;  // original size
  double scale = 1;
  double blob_h() const { return static_cast<double>(blob.size(2)); }
  double blob_w() const { return static_cast<double>(blob.size(3)); }
};

// pixel_means in B, G, R order.
PreparedImage prepare_image(const cv::Mat& bgr, const std::vector<double>& pixel_means, int64_t target_size,
                            int64_t max_size);

}  // namespace bua
