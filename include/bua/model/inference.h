// im_detect of the original (lib/fast_rcnn/test.py) for many images at once: the trunk and RPN run per
// image at the image's own size (no padding, so batching cannot change a feature), then res5 and the heads
// run over the ROIs of all images together, in chunks.
#pragma once
#include <torch/types.h>

#include <vector>

#include "bua/config/config.h"
#include "bua/image/image.h"
#include "bua/model/detector.h"
#include "bua/model/rpn.h"

namespace bua {

struct InferenceOptions {
  ProposalOptions proposals;           // TEST.RPN_* of the config
  int64_t max_rois_per_chunk = 4096;   // bounds the memory of the batched res5 head
  torch::ScalarType dtype = torch::kFloat;  // the detector's dtype (kFloat or kBFloat16)
  bool channels_last = false;               // feed NHWC tensors (set by prepare_for_inference)
};

// Readies a loaded detector for extraction on its device: casts it to `dtype`, folds every frozen affine into
// its convolution and, on CUDA, lays the convolutions out channels-last. Sets options.dtype/channels_last.
void prepare_for_inference(Detector& detector, torch::ScalarType dtype, InferenceOptions& options);

struct ImageDetections {
  int64_t image_h = 0, image_w = 0;
  double scale = 1;
  torch::Tensor rois;            // [R,5] (0, x1, y1, x2, y2) in blob pixels, float32: the net's rois blob
  torch::Tensor boxes;           // [R,4] rois / scale, float32, image pixels (what generate_tsv writes)
  torch::Tensor proposal_scores; // [R] RPN foreground probability (empty with given boxes)
  torch::Tensor pool5;           // [R,D] float32
  torch::Tensor cls_score, cls_prob, bbox_pred;  // [R,C], [R,C], [R,4C] float32
  torch::Tensor attr_prob;       // [R,A] float32 (undefined without attributes)
  // Class-specific regressed boxes, clipped to the image: [R,4C] (test_net's detections).
  torch::Tensor regressed_boxes() const;
};

// The TEST.RPN_* proposal settings of a config.
InferenceOptions inference_options(const Config& cfg);

// Runs the detector on prepared images. `given_boxes`, when not empty, holds one [Ri,4] tensor of boxes in
// image pixels per image: they replace the proposals (the original's force_boxes / test_gt mode).
std::vector<ImageDetections> detect(Detector& detector, const std::vector<PreparedImage>& images,
                                    const InferenceOptions& options, const std::vector<torch::Tensor>& given_boxes = {});

// boxes [R,4] → rois [R,5] = (0, x1, y1, x2, y2): the layout of the net's rois blob (one image).
torch::Tensor with_batch_index(const torch::Tensor& boxes);

// rois for given boxes: float32(float64(box) * scale) with batch index 0, as _get_rois_blob computes them.
torch::Tensor rois_from_boxes(const torch::Tensor& boxes, double scale);

}  // namespace bua
