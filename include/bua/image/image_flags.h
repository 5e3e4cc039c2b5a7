// The image-reading flags the tools that decode images share (generate_tsv, test_net, demo): --exif,
// --max-image-pixels and, where skipping is the alternative, --accept-truncated.
//
//   CLI::App app{"..."};
//   bua::ImageFlags image_flags(app, /*truncated_flag=*/true);
//   ... read_image(path, image_flags.options());
#pragma once
#include <CLI/CLI.hpp>
#include <string>

#include "bua/image/image.h"

namespace bua {

class ImageFlags {
 public:
  ImageFlags(CLI::App& app, bool truncated_flag) {
    app.add_option("--exif", exif_, "apply | ignore the EXIF orientation of JPEGs (apply: as cv2.imread)")
        ->check(CLI::IsMember({"apply", "ignore"}))
        ->capture_default_str();
    app.add_option("--max-image-pixels", options_.max_pixels,
                   "refuse images whose header declares more pixels (0: no limit; Pillow's MAX_IMAGE_PIXELS)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    if (truncated_flag)
      app.add_flag("--accept-truncated", options_.accept_truncated,
                   "decode JPEGs cut short (missing part grey, as libjpeg does) instead of skipping and listing them");
  }

  ImageReadOptions options() const {
    ImageReadOptions o = options_;
    o.exif = parse_exif_mode(exif_);
    return o;
  }
  const std::string& exif_name() const { return exif_; }  // "apply" | "ignore", for records and cache keys

 private:
  std::string exif_ = "apply";
  ImageReadOptions options_;
};

}  // namespace bua
