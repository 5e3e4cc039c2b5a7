#include "bua/train/detector_loss.h"

#include <torch/torch.h>

#include <opencv2/core.hpp>

#include "bua/model/anchors.h"
#include "bua/model/inference.h"
#include "bua/train/anchor_targets.h"
#include "bua/train/losses.h"
#include "bua/train/proposal_targets.h"
#include "bua/train/target_normalization.h"
#include "bua/util/error.h"

namespace bua {

TrainingBlob prepare_training_blob(const cv::Mat& bgr, bool flip, const torch::Tensor& gt_boxes,
                                   const torch::Tensor& gt_classes, const torch::Tensor& gt_attributes,
                                   const Config& cfg, Rng& rng) {
  if (cfg.TRAIN.SCALES.empty()) fail("TRAIN.SCALES", "needs at least one scale");
  // One scale per image, drawn at random as the original's minibatch code does.
  const int target = cfg.TRAIN.SCALES[uniform_below(rng, cfg.TRAIN.SCALES.size())];
  cv::Mat im = bgr;
  auto boxes = gt_boxes.to(torch::kFloat).clone();
  if (flip) {
    cv::flip(bgr, im, 1);
    const float w = static_cast<float>(bgr.cols);
    const auto x1 = boxes.select(1, 0).clone();
    boxes.select(1, 0).copy_(w - boxes.select(1, 2) - 1);
    boxes.select(1, 2).copy_(w - x1 - 1);
  }
  TrainingBlob b;
  b.image = prepare_image(im, cfg.PIXEL_MEANS, target, cfg.TRAIN.MAX_SIZE);
  b.gt_boxes = boxes * static_cast<float>(b.image.scale);
  b.gt_classes = gt_classes.to(torch::kLong);
  b.gt_attributes = gt_attributes.to(torch::kLong);
  return b;
}

torch::Tensor LossTerms::total() const { return rpn_cls + rpn_bbox + cls + bbox + 0.5 * attr; }

LossTerms detector_losses(Detector& detector, const TrainingBlob& b, const TrainConfig& cfg, Rng& rng) {
  const auto device = detector->box_head->cls_score->weight.device();
  const auto features = detector->features(b.image.blob.to(device));
  const RpnOutput r = detector->rpn->forward(features);
  LossTerms loss;

  // RPN: anchor targets on the CPU (small integer work), losses on the device.
  const auto anchors = grid_anchors(detector->cell_anchors(), r.logits.size(2), r.logits.size(3),
                                    detector->arch().feat_stride).to(torch::kFloat);
  const AnchorTargets at = anchor_targets(anchors, b.gt_boxes, b.image.blob_h(), b.image.blob_w(), cfg, rng);
  loss.rpn_cls = rpn_class_loss(r.logits, at.labels);
  loss.rpn_bbox = smooth_l1_loss(rpn_delta_rows(r.deltas), at.bbox_targets.to(device), at.inside_weights.to(device),
                                 at.outside_weights.to(device), 3.0, 1);

  // Proposals from the detached RPN output, with the TRAIN settings.
  Proposals p;
  {
    torch::NoGradGuard no_grad;
    // An RPN trained on normalised targets (RPN_NORMALIZE_TARGETS) predicts normalised deltas: the TRAIN
    // proposal layer maps them back before decoding, as the original's does.
    RpnOutput d{r.logits.detach(), r.probs.detach(), denormalized_rpn_deltas(r.deltas.detach(), cfg)};
    const auto o = ProposalOptions()
                       .pre_nms_top_n(cfg.RPN_PRE_NMS_TOP_N)
                       .post_nms_top_n(cfg.RPN_POST_NMS_TOP_N)
                       .nms_thresh(cfg.RPN_NMS_THRESH)
                       .min_size(cfg.RPN_MIN_SIZE);
    p = detector->propose(d, b.image.blob_h(), b.image.blob_w(), static_cast<float>(b.image.scale), o);
  }
  const RoiTargets t = proposal_targets(p.boxes.cpu(), b.gt_boxes, b.gt_classes, b.gt_attributes,
                                        detector->arch().num_classes, cfg, rng);
  const auto rois = with_batch_index(t.rois).to(device);
  const auto pooled = detector->pool(features, rois);
  const auto labels = t.labels.to(device);
  // The attribute head of the train net reads the ground-truth class of each ROI.
  const HeadOutputs h = detector->heads(pooled, labels);
  loss.cls = roi_class_loss(h.cls_score, t.labels);
  loss.bbox = smooth_l1_loss(h.bbox_pred, t.bbox_targets.to(device), t.inside_weights.to(device),
                             t.outside_weights.to(device), 1.0, t.rois.size(0));
  if (h.attr_score.defined() && t.num_fg > 0)
    loss.attr = attribute_loss(h.attr_score.narrow(0, 0, t.num_fg), t.attributes.narrow(0, 0, t.num_fg));
  else
    loss.attr = torch::zeros({}, h.cls_score.options().dtype(torch::kFloat));
  return loss;
}

}  // namespace bua
