// One training forward pass of the original end-to-end Faster R-CNN with attributes
// (models/vg/ResNet-101/faster_rcnn_end2end_final/train.prototxt): RPN losses on anchor targets, proposals
// from the (detached) RPN output with the TRAIN settings, 64 sampled ROIs with the gt boxes appended, class
// and class-specific box losses, and the attribute loss (weight 0.5) on the foreground ROIs, whose attribute
// head reads the ground-truth class.
#pragma once
#include <torch/types.h>

#include "bua/config/config.h"
#include "bua/image/image.h"
#include "bua/model/detector.h"
#include "bua/util/random.h"

namespace bua {

// An image ready for training: its blob (flipped if asked) and its gt in blob pixels.
struct TrainingBlob {
  PreparedImage image;
  torch::Tensor gt_boxes;       // [G,4] float32, scaled to the blob
  torch::Tensor gt_classes;     // [G] int64
  torch::Tensor gt_attributes;  // [G,16] int64, 0 = none
};

// gt boxes in original image pixels; flip mirrors the image and the boxes (x' = W - 1 - x).
TrainingBlob prepare_training_blob(const cv::Mat& bgr, bool flip, const torch::Tensor& gt_boxes,
                                   const torch::Tensor& gt_classes, const torch::Tensor& gt_attributes,
                                   const Config& cfg, Rng& rng);

struct LossTerms {
  torch::Tensor rpn_cls, rpn_bbox, cls, bbox, attr;
  torch::Tensor total() const;  // rpn_cls + rpn_bbox + cls + bbox + 0.5 * attr
};

LossTerms detector_losses(Detector& detector, const TrainingBlob& blob, const TrainConfig& cfg, Rng& rng);

}  // namespace bua
