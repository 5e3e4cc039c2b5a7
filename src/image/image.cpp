#include "bua/image/image.h"

#include <torch/torch.h>

#include <cmath>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "bua/util/error.h"
#include "bua/util/error_text.h"

namespace bua {

ExifMode parse_exif_mode(const std::string& name) {
  if (name == "apply") return ExifMode::kApply;
  if (name == "ignore") return ExifMode::kIgnore;
  fail("--exif", "expected apply or ignore, got '" + name + "'");
}

namespace {

uint32_t be16(const uint8_t* p) { return (uint32_t(p[0]) << 8) | p[1]; }
uint32_t be32(const uint8_t* p) { return (be16(p) << 16) | be16(p + 2); }
uint32_t le16(const uint8_t* p) { return p[0] | (uint32_t(p[1]) << 8); }
uint32_t le24(const uint8_t* p) { return le16(p) | (uint32_t(p[2]) << 16); }
uint32_t le32(const uint8_t* p) { return le16(p) | (le16(p + 2) << 16); }

bool is_sof(uint8_t m) { return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC; }

// Walks the marker segments to the frame header (SOF) for the size, then the entropy-coded data of every scan
// to the EOI marker: a file cut short never reaches it.
ImageHeader inspect_jpeg(const uint8_t* d, size_t n) {
  ImageHeader h;
  h.known = true;
  size_t at = 2;
  bool have_size = false;
  for (;;) {
    while (at < n && d[at] != 0xFF) ++at;  // entropy-coded data (or junk) up to the next marker
    while (at < n && d[at] == 0xFF) ++at;  // fill bytes
    if (at >= n) break;
    const uint8_t m = d[at++];
    if (m == 0x00 || (m >= 0xD0 && m <= 0xD7) || m == 0x01) continue;  // stuffed 0xFF, RSTn, TEM
    if (m == 0xD9) {
      if (!have_size) h.error = "JPEG without a frame header (SOF)";
      return h;
    }
    if (at + 2 > n) break;
    const size_t len = be16(d + at);
    if (len < 2) {
      h.error = "corrupt JPEG (marker segment of length " + std::to_string(len) + ")";
      return h;
    }
    if (is_sof(m) && !have_size) {
      if (at + 7 > n) break;
      h.height = be16(d + at + 3);
      h.width = be16(d + at + 5);
      have_size = true;
    }
    at += len;  // past the segment; after SOS the scan's entropy data follows
  }
  h.truncated = true;
  if (!have_size) h.error = "truncated JPEG (ends before its frame header)";
  return h;
}

// The chunk lengths of a PNG are checked against the file: libpng allocates what a chunk declares.
ImageHeader inspect_png(const uint8_t* d, size_t n) {
  ImageHeader h;
  h.known = true;
  if (n < 8 + 8 + 13 || std::memcmp(d + 12, "IHDR", 4) != 0) {
    h.error = "corrupt PNG (no IHDR header)";
    return h;
  }
  h.width = be32(d + 16);
  h.height = be32(d + 20);
  for (size_t at = 8; at + 8 <= n;) {
    const uint64_t len = be32(d + at);
    const std::string type(reinterpret_cast<const char*>(d + at + 4), 4);
    if (len > n - at - 8 || n - at - 8 - len < 4) {
      h.error = "corrupt PNG (chunk '" + type + "' declares " + std::to_string(len) + " bytes, the file holds " +
                std::to_string(n - at) + " from there)";
      return h;
    }
    if (type == "IEND") return h;
    at += 12 + len;
  }
  h.truncated = true;
  h.error = "truncated PNG (no IEND chunk)";
  return h;
}

ImageHeader inspect_bmp(const uint8_t* d, size_t n) {
  ImageHeader h;
  h.known = true;
  if (n < 26) {
    h.error = "truncated BMP header";
    return h;
  }
  if (le32(d + 14) == 12) {  // OS/2 BITMAPCOREHEADER: 16-bit sizes
    h.width = le16(d + 18);
    h.height = le16(d + 20);
  } else {
    h.width = std::abs(static_cast<int64_t>(static_cast<int32_t>(le32(d + 18))));
    h.height = std::abs(static_cast<int64_t>(static_cast<int32_t>(le32(d + 22))));  // negative: top-down
  }
  return h;
}

ImageHeader inspect_webp(const uint8_t* d, size_t n) {
  ImageHeader h;
  h.known = true;
  if (n >= 30 && std::memcmp(d + 12, "VP8X", 4) == 0) {
    h.width = le24(d + 24) + 1;
    h.height = le24(d + 27) + 1;
  } else if (n >= 25 && std::memcmp(d + 12, "VP8L", 4) == 0) {
    const uint32_t bits = le32(d + 21);
    h.width = (bits & 0x3FFF) + 1;
    h.height = ((bits >> 14) & 0x3FFF) + 1;
  } else if (n >= 30 && std::memcmp(d + 12, "VP8 ", 4) == 0) {
    h.width = le16(d + 26) & 0x3FFF;
    h.height = le16(d + 28) & 0x3FFF;
  } else {
    h.known = false;  // left to OpenCV
  }
  return h;
}

// OpenCV refuses images above OPENCV_IO_MAX_IMAGE_PIXELS (read once per process) after reading any
// decoder's header: the backstop for formats we do not inspect. Set from the first limit used, unless the
// user set it.
void set_opencv_pixel_limit(int64_t max_pixels) {
  static std::once_flag once;
  std::call_once(once, [max_pixels] {
    if (max_pixels > 0) setenv("OPENCV_IO_MAX_IMAGE_PIXELS", std::to_string(max_pixels + 1).c_str(), /*overwrite=*/0);
  });
}

}  // namespace

ImageHeader inspect_image_header(const uint8_t* d, size_t n) {
  if (n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF) return inspect_jpeg(d, n);
  if (n >= 8 && std::memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0) return inspect_png(d, n);
  if (n >= 2 && d[0] == 'B' && d[1] == 'M') return inspect_bmp(d, n);
  if (n >= 16 && std::memcmp(d, "RIFF", 4) == 0 && std::memcmp(d + 8, "WEBP", 4) == 0) return inspect_webp(d, n);
  return {};
}

cv::Mat decode_image(const std::vector<uint8_t>& bytes, const std::string& name, const ImageReadOptions& options) {
  if (bytes.empty()) fail(name, "empty file");
  const ImageHeader header = inspect_image_header(bytes.data(), bytes.size());
  if (!header.error.empty() && !(header.truncated && options.accept_truncated)) fail(name, header.error);
  if (header.truncated && !options.accept_truncated)
    fail(name, "truncated JPEG (the data ends before the EOI marker; --accept-truncated decodes it with the "
               "missing part grey, as libjpeg does)");
  if (options.max_pixels > 0 && header.known && header.width * header.height > options.max_pixels)
    fail(name, "declares " + std::to_string(header.width) + "x" + std::to_string(header.height) + " = " +
                   std::to_string(header.width * header.height) + " pixels, above the limit of " +
                   std::to_string(options.max_pixels) + " (--max-image-pixels; a decompression bomb?)");
  set_opencv_pixel_limit(options.max_pixels);
  cv::Mat img;
  const int flags = cv::IMREAD_COLOR | (options.exif == ExifMode::kIgnore ? cv::IMREAD_IGNORE_ORIENTATION : 0);
  try {
    img = cv::imdecode(bytes, flags);
  } catch (const std::exception& e) {
    fail(name, "cannot decode image: " + one_line_error(e));
  }
  if (img.empty()) fail(name, "not a decodable image (corrupt or unsupported format)");
  return img;
}

cv::Mat decode_image(const std::vector<uint8_t>& bytes, const std::string& name, ExifMode exif) {
  ImageReadOptions options;
  options.exif = exif;
  return decode_image(bytes, name, options);
}

cv::Mat read_image(const std::string& path, const ImageReadOptions& options) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) fail(path, "cannot open image file (" + (ec ? ec.message() : "no such file") + ")");
  // A FIFO would block, a device never end, a directory not read: only regular files are images.
  if (!fs::is_regular_file(st)) fail(path, "not a regular file");
  const uintmax_t size = fs::file_size(path, ec);
  if (ec) fail(path, "cannot read the file size: " + ec.message());
  if (size > kMaxImageFileBytes)
    fail(path, "file of " + std::to_string(size >> 20) + " MiB is larger than the bound of " +
                   std::to_string(kMaxImageFileBytes >> 20) + " MiB for an image");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open image file");
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size));
  if (static_cast<uintmax_t>(in.gcount()) != size) fail(path, "read failed (file shorter than its size)");
  return decode_image(bytes, path, options);
}

cv::Mat read_image(const std::string& path, ExifMode exif) {
  ImageReadOptions options;
  options.exif = exif;
  return read_image(path, options);
}

cv::Mat image_from_pixels(const uint8_t* pixels, int64_t height, int64_t width, int64_t channels,
                          const std::string& name) {
  if (channels != 1 && channels != 3)
    fail(name, "expected 3 channels (B, G, R) or 1 (grey), got " + std::to_string(channels));
  if (height <= 0 || width <= 0)
    fail(name, "empty image (" + std::to_string(width) + "x" + std::to_string(height) + " pixels)");
  // cv::Mat sizes are int; the row of a 3-channel image must fit too.
  if (height > std::numeric_limits<int>::max() || width * channels > std::numeric_limits<int>::max())
    fail(name, "image of " + std::to_string(width) + "x" + std::to_string(height) + " pixels is too large");
  const int type = channels == 3 ? CV_8UC3 : CV_8UC1;
  const cv::Mat view(static_cast<int>(height), static_cast<int>(width), type, const_cast<uint8_t*>(pixels));
  cv::Mat bgr;
  if (channels == 3) bgr = view.clone();
  else cv::cvtColor(view, bgr, cv::COLOR_GRAY2BGR);
  return bgr;
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
  // cv::resize's size for fx = fy = scale (saturate_cast rounds to nearest).
  const int64_t scaled_w = std::lround(bgr.cols * out.scale), scaled_h = std::lround(bgr.rows * out.scale);
  if (std::min(scaled_w, scaled_h) < kMinScaledSide)
    fail("image of " + std::to_string(bgr.cols) + "x" + std::to_string(bgr.rows) + " pixels",
         "too small or too elongated: scaled by " + std::to_string(out.scale) + " it becomes " +
             std::to_string(scaled_w) + "x" + std::to_string(scaled_h) + ", and the network needs at least " +
             std::to_string(kMinScaledSide) + " pixels a side (the original fails on it too)");
  cv::Mat resized;
  // dsize left empty: OpenCV then maps pixels with fx/fy themselves, as the original call does.
  cv::resize(centred, resized, cv::Size(), out.scale, out.scale, cv::INTER_LINEAR);
  auto hwc = torch::from_blob(resized.data, {resized.rows, resized.cols, 3}, torch::kFloat);
  out.blob = hwc.permute({2, 0, 1}).unsqueeze(0).contiguous();  // copies out of the cv::Mat
  return out;
}

}  // namespace bua
