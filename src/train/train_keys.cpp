#include "bua/train/train_keys.h"

#include "bua/util/error.h"

namespace bua {

const std::vector<TrainKeyRule>& train_key_rules() {
  static const std::vector<TrainKeyRule> rules = {
      {"TRAIN.SCALES", "one drawn per image (prepare_training_blob); refused: empty or a value < 1"},
      {"TRAIN.MAX_SIZE", "cap on the scaled image's long side; refused: < 1"},
      {"TRAIN.IMS_PER_BATCH", "images per process per iteration, gradients averaged; refused: < 1"},
      {"TRAIN.BATCH_SIZE", "ROIs sampled per image (proposal_targets); refused: < 1"},
      {"TRAIN.FG_FRACTION", "foreground share of the ROIs; refused: outside [0, 1]"},
      {"TRAIN.FG_THRESH", "ROI foreground IoU (proposal_targets)"},
      {"TRAIN.BG_THRESH_HI", "ROI background IoU upper bound (proposal_targets)"},
      {"TRAIN.BG_THRESH_LO", "ROI background IoU lower bound (proposal_targets)"},
      {"TRAIN.USE_FLIPPED", "mirrored copy of every image in the order (VgTrainingFeed)"},
      {"TRAIN.BBOX_REG", "with BBOX_NORMALIZE_TARGETS: snapshots un-normalise bbox_pred (target_normalization)"},
      {"TRAIN.BBOX_THRESH",
       "read only by the original's precomputed Fast R-CNN targets, which end-to-end training never uses: no "
       "effect there or here"},
      {"TRAIN.SNAPSHOT_ITERS", "snapshot period (0: only the final one)"},
      {"TRAIN.SNAPSHOT_INFIX", "snapshot names <prefix>_<infix>_iter_<n>.pt"},
      {"TRAIN.USE_PREFETCH", "refused: True (blobs are prepared in the training loop)"},
      {"TRAIN.BBOX_NORMALIZE_TARGETS", "with BBOX_REG: snapshots un-normalise bbox_pred"},
      {"TRAIN.BBOX_INSIDE_WEIGHTS", "bbox loss inside weights (proposal_targets)"},
      {"TRAIN.BBOX_NORMALIZE_TARGETS_PRECOMPUTED",
       "bbox targets normalised by the MEANS/STDS below; refused: False when HAS_RPN, BBOX_REG and "
       "BBOX_NORMALIZE_TARGETS (the original asserts)"},
      {"TRAIN.BBOX_NORMALIZE_MEANS", "bbox target normalisation and its snapshot inverse"},
      {"TRAIN.BBOX_NORMALIZE_STDS", "bbox target normalisation and its snapshot inverse; refused: a value <= 0"},
      {"TRAIN.RPN_NORMALIZE_TARGETS",
       "RPN targets normalised, the TRAIN proposals de-normalised, snapshots un-normalise rpn_bbox_pred"},
      {"TRAIN.RPN_NORMALIZE_MEANS", "with RPN_NORMALIZE_TARGETS"},
      {"TRAIN.RPN_NORMALIZE_STDS", "with RPN_NORMALIZE_TARGETS; refused: a value <= 0 when it is True"},
      {"TRAIN.PROPOSAL_METHOD", "end-to-end training reads only the gt boxes; refused: anything but gt"},
      {"TRAIN.ASPECT_GROUPING", "landscape and portrait images paired in the order, as layer.py (VgTrainingFeed)"},
      {"TRAIN.HAS_RPN", "refused: False (only end-to-end training, the RPN with the detector)"},
      {"TRAIN.RPN_POSITIVE_OVERLAP", "anchor_targets"},
      {"TRAIN.RPN_NEGATIVE_OVERLAP", "anchor_targets"},
      {"TRAIN.RPN_CLOBBER_POSITIVES", "anchor_targets"},
      {"TRAIN.RPN_FG_FRACTION", "anchor_targets; refused: outside [0, 1]"},
      {"TRAIN.RPN_BATCHSIZE", "anchor_targets; refused: < 1"},
      {"TRAIN.RPN_NMS_THRESH", "TRAIN proposals (detector_losses)"},
      {"TRAIN.RPN_PRE_NMS_TOP_N", "TRAIN proposals"},
      {"TRAIN.RPN_POST_NMS_TOP_N", "TRAIN proposals"},
      {"TRAIN.RPN_MIN_SIZE", "TRAIN proposals"},
      {"TRAIN.RPN_BBOX_INSIDE_WEIGHTS", "anchor_targets"},
      {"TRAIN.RPN_POSITIVE_WEIGHT", "anchor_targets (negative, or in (0, 1))"},
      {"TRAIN.AGNOSTIC", "class-agnostic box targets (proposal_targets)"},
      {"TRAIN.HAS_ATTRIBUTES", "attribute labels and loss; refused: a value other than the network's has_attributes"},
      {"TRAIN.HAS_RELATIONS", "refused: True (the network has no relation head)"},
      {"TRAIN.MIN_RELATION_FRACTION", "relations only: no effect with HAS_RELATIONS False, which is required"},
  };
  return rules;
}

namespace {

[[noreturn]] void refuse(const std::string& key, const std::string& why) { fail("TRAIN." + key, why); }

std::string py_bool(bool b) { return b ? "True" : "False"; }

}  // namespace

void check_train_config(const Config& cfg, const ArchConfig* arch) {
  const TrainConfig& t = cfg.TRAIN;
  if (t.SCALES.empty()) refuse("SCALES", "needs at least one scale");
  for (int s : t.SCALES)
    if (s < 1) refuse("SCALES", "a scale must be >= 1, got " + std::to_string(s));
  if (t.MAX_SIZE < 1) refuse("MAX_SIZE", "must be >= 1");
  if (t.IMS_PER_BATCH < 1) refuse("IMS_PER_BATCH", "must be >= 1, got " + std::to_string(t.IMS_PER_BATCH));
  if (t.BATCH_SIZE < 1) refuse("BATCH_SIZE", "must be >= 1");
  if (t.FG_FRACTION < 0 || t.FG_FRACTION > 1) refuse("FG_FRACTION", "must be in [0, 1]");
  if (t.RPN_FG_FRACTION < 0 || t.RPN_FG_FRACTION > 1) refuse("RPN_FG_FRACTION", "must be in [0, 1]");
  if (t.RPN_BATCHSIZE < 1) refuse("RPN_BATCHSIZE", "must be >= 1");
  if (t.USE_PREFETCH) refuse("USE_PREFETCH", "True is not supported (blobs are prepared in the training loop; set False)");
  if (!t.HAS_RPN)
    refuse("HAS_RPN", "False is not supported: only end-to-end training (RPN and detector together), as "
                      "experiments/cfgs/faster_rcnn_end2end_resnet.yml sets");
  if (t.PROPOSAL_METHOD != "gt")
    refuse("PROPOSAL_METHOD", "'" + t.PROPOSAL_METHOD + "' is not supported: end-to-end training reads only the gt boxes (gt)");
  if (t.HAS_RELATIONS) refuse("HAS_RELATIONS", "True is not supported: the network has no relation head");
  if (t.HAS_RPN && t.BBOX_REG && t.BBOX_NORMALIZE_TARGETS && !t.BBOX_NORMALIZE_TARGETS_PRECOMPUTED)
    refuse("BBOX_NORMALIZE_TARGETS_PRECOMPUTED",
           "must be True with HAS_RPN, BBOX_REG and BBOX_NORMALIZE_TARGETS (an RPN has no fixed statistics to "
           "compute beforehand; the original asserts this)");
  for (double s : t.BBOX_NORMALIZE_STDS)
    if (!(s > 0)) refuse("BBOX_NORMALIZE_STDS", "every value must be > 0");
  if (t.RPN_NORMALIZE_TARGETS)
    for (double s : t.RPN_NORMALIZE_STDS)
      if (!(s > 0)) refuse("RPN_NORMALIZE_STDS", "every value must be > 0");
  if (arch && t.HAS_ATTRIBUTES != arch->has_attributes)
    refuse("HAS_ATTRIBUTES", py_bool(t.HAS_ATTRIBUTES) + ", but the network (" + arch->name + ") has " +
                                 (arch->has_attributes ? "an" : "no") + " attribute head");
}

}  // namespace bua
