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

// Pillow's MAX_IMAGE_PIXELS (a quarter GiB of 24-bit pixels): larger images are refused before decoding, so a
// small file declaring 30000x30000 cannot take gigabytes. --max-image-pixels changes it.
constexpr int64_t kDefaultMaxImagePixels = 89478485;
// Files beyond this are not read (a 89M-pixel uncompressed BMP is 0.27 GB).
constexpr uint64_t kMaxImageFileBytes = uint64_t(1) << 30;

struct ImageReadOptions {
  ExifMode exif = ExifMode::kApply;
  int64_t max_pixels = kDefaultMaxImagePixels;  // width x height the header may declare; 0: no limit
  // A JPEG that ends before its EOI marker is decoded by libjpeg with the missing part grey and only a warning;
  // it is refused unless this is set (generate_tsv --accept-truncated).
  bool accept_truncated = false;
};

// Decodes an image file as cv2.imread(path, IMREAD_COLOR). Only regular files of at most kMaxImageFileBytes
// are read; the size the header declares (JPEG, PNG, BMP, WebP) is checked against max_pixels before
// decoding. Throws bua::Error naming the file when it is missing, not a regular file, too large, truncated,
// unreadable or not a decodable image.
cv::Mat read_image(const std::string& path, const ImageReadOptions& options);
cv::Mat read_image(const std::string& path, ExifMode exif = ExifMode::kApply);
// The same from bytes already in memory (`name` is used in messages).
cv::Mat decode_image(const std::vector<uint8_t>& bytes, const std::string& name, const ImageReadOptions& options);
cv::Mat decode_image(const std::vector<uint8_t>& bytes, const std::string& name, ExifMode exif = ExifMode::kApply);

// An image already decoded in memory (a numpy array from cv2.imread, a camera frame): height x width 8-bit pixels,
// row after row, `channels` 3 (B, G, R) or 1 (grey, repeated into B, G and R, as cv2.imread(IMREAD_COLOR)
// decodes a grey file). Returns a BGR copy. Throws bua::Error naming `name` for another channel count, an
// empty image or a side beyond OpenCV's int.
cv::Mat image_from_pixels(const uint8_t* pixels, int64_t height, int64_t width, int64_t channels,
                          const std::string& name);

// What the header of a JPEG, PNG, BMP or WebP declares, read without decoding. `known` is false for other
// formats (left to OpenCV); `error` is set when the header or the chunk structure is corrupt (a PNG chunk
// longer than the file), `truncated` when a JPEG ends before its EOI marker.
struct ImageHeader {
  bool known = false;
  int64_t width = 0, height = 0;
  bool truncated = false;
  std::string error;
};
ImageHeader inspect_image_header(const uint8_t* data, size_t size);

// The original's scale rule: target / min side, unless round(scale * max side) > max_size.
double image_scale(int64_t height, int64_t width, int64_t target_size, int64_t max_size);

// The smallest side a scaled image may have: conv1 (7x7, stride 2, pad 3) then pool1 (3x3, stride 2, ceil)
// leave no feature cell below 3 pixels. The original fails on such images too (cv2.resize refuses a 0-pixel
// side; Caffe's pool1 gets an empty output), so prepare_image refuses them with a reason.
constexpr int64_t kMinScaledSide = 3;

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
