// From detections to feature records: box selection (or the caller's boxes), the pool5 features of the chosen
// regions, and their object and attribute predictions (0-based ids without background, as LXMERT reads them).
#pragma once
#include <torch/types.h>

#include <optional>
#include <string>
#include <vector>

#include "bua/features/select.h"
#include "bua/image/image.h"
#include "bua/io/feature_record.h"
#include "bua/model/detector.h"
#include "bua/model/inference.h"

namespace bua {

// Which boxes a record holds (--box-source).
enum class BoxSource {
  kProposals,  // the selected RPN proposals (rois / im_scale) and their pool5, as the original writes
  kRegressed,  // each selected proposal regressed for its best class (clipped), with features, classes and
               // attributes of a second pass over those boxes (the MILVLG port's bboxes + bbox_feats modes)
};
BoxSource parse_box_source(const std::string& name);  // "proposals" | "regressed"

struct ExtractOptions {
  SelectionOptions selection;       // --min-boxes / --max-boxes / --conf-thresh, TEST.NMS
  BoxSource box_source = BoxSource::kProposals;
  InferenceOptions inference;       // TEST.RPN_*, dtype
  std::vector<double> pixel_means{102.9801, 115.9465, 122.7717};
  int64_t target_size = 600;        // TEST.SCALES[0]
  int64_t max_size = 1000;          // TEST.MAX_SIZE
  ImageReadOptions image;           // --exif, --max-image-pixels, --accept-truncated
};

// TEST.SCALES[0], TEST.MAX_SIZE, TEST.NMS, TEST.RPN_*, PIXEL_MEANS of a config; box counts as the original
// defaults (10..100, conf 0.2).
ExtractOptions extract_options(const Config& cfg);

// An image as extract_features takes it: scaled and mean-subtracted with the options' TEST.SCALES, MAX_SIZE and
// PIXEL_MEANS. The file form opens regular files only and decodes with options.image (--exif ...); both throw
// bua::Error naming the file or the problem. generate_tsv's job and the Python module prepare every image so.
PreparedImage prepare_image(const cv::Mat& bgr, const ExtractOptions& options);
PreparedImage prepare_image_file(const std::string& path, const ExtractOptions& options);

// One image's record. `keep` selects rows of `d` (all rows when undefined: the given-boxes mode keeps the
// caller's boxes, in their order).
FeatureRecord make_feature_record(const std::string& image_id, const ImageDetections& d, const torch::Tensor& keep);

// The rows `keep` of d's class-specific regressed boxes, each for its best foreground class: [K,4] image pixels.
torch::Tensor best_class_boxes(const ImageDetections& d, const torch::Tensor& keep);

// Runs detection + selection for a batch of prepared images. `given_boxes` (optional) holds one [Ni,4] tensor
// of image-pixel boxes per image; an undefined tensor in it means "use proposals" for that image.
std::vector<FeatureRecord> extract_features(Detector& detector, const std::vector<PreparedImage>& images,
                                            const std::vector<std::string>& ids, const ExtractOptions& options,
                                            const std::vector<torch::Tensor>& given_boxes = {});

}  // namespace bua
