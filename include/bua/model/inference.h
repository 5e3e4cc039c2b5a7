// im_detect of the original (lib/fast_rcnn/test.py) for many images at once: the trunk and RPN run at each
// image's own size (no padding), then res5 and the heads run in chunks of ROIs. How images share the work is a
// policy (InferencePolicy), chosen by device but selectable on any: under the CUDA policy same-size images share
// a trunk pass and chunks gather the ROIs of all images; under the CPU policy every image runs alone, in small
// chunks, so batching cannot change a feature there (tests/torch/test_inference_batching.cpp). The CUDA policy
// runs on the CPU too, where it is tested (tests/torch/test_gpu_policy.cpp).
#pragma once
#include <torch/types.h>

#include <optional>
#include <vector>

#include "bua/config/config.h"
#include "bua/image/image.h"
#include "bua/model/detector.h"
#include "bua/model/rpn.h"

namespace bua {

// res5 on the CPU runs this many ROIs at a time, so that their activations (2048x14x14 each) stay in the cache.
// On the 2-core machine (benchmarks/results/extract_cpu_*.txt) res5 for 300 ROIs took, in float32, 6.1-6.9 s at
// 2 or 4 ROIs, 12 s at 8 and about 25 s at all 300; in bf16 about 3 s at 2 to 8 ROIs, 5 s at 16.
constexpr int64_t kCpuRoisPerChunk = 4;

// What a device does differently, apart from its kernels.
enum class InferencePolicy {
  kCpu,   // each image alone; res5 kCpuRoisPerChunk ROIs of one image at a time, the heads per image
  kCuda,  // same-size images share a trunk pass; res5 and the heads over the ROIs of all images, 4096 at a time
};
InferencePolicy default_policy(const torch::Device& device);

struct InferenceOptions {
  // Unset: the policy of the detector's device. prepare_for_inference sets the three fields below from it.
  std::optional<InferencePolicy> policy;
  ProposalOptions proposals;           // TEST.RPN_* of the config
  // ROIs per res5 pass. CUDA wants thousands at once; on the CPU a few at a time keep res5's activations in the
  // cache, which is several times faster than all 300 of an image at once (set by prepare_for_inference).
  int64_t max_rois_per_chunk = 4096;
  // Chunks hold one image's ROIs only, and the heads run per image: an image's outputs are then what it gets
  // alone whatever else shares its batch, and only one image's pooled maps are held at a time.
  bool chunk_within_image = false;
  // Images of one blob size share a trunk pass. oneDNN's float32 convolutions round differently for a batch of
  // two than for one image, so the CPU runs each image alone (a 600x1000 image already fills its cores).
  bool share_trunk_pass = true;
  torch::ScalarType dtype = torch::kFloat;  // the detector's dtype (kFloat or kBFloat16)
  bool channels_last = false;               // feed NHWC tensors (set by prepare_for_inference)
};

// Sets the fields of `options` that `policy` decides (and options.policy).
void use_policy(InferenceOptions& options, InferencePolicy policy);

// Readies a loaded detector for extraction on its device: casts it to `dtype`, folds every frozen affine into
// its convolution and lays the convolutions out channels-last. Sets options.dtype/channels_last and applies
// options.policy, else the device's (default_policy).
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

// res5 (in chunks of options.max_rois_per_chunk ROIs) and the heads on pooled maps [R,C,P,P]; float32 outputs.
HeadOutputs run_heads(Detector& detector, const torch::Tensor& pooled, const InferenceOptions& options);

// boxes [R,4] → rois [R,5] = (0, x1, y1, x2, y2): the layout of the net's rois blob (one image).
torch::Tensor with_batch_index(const torch::Tensor& boxes);

// rois for given boxes: float32(float64(box) * scale) with batch index 0, as _get_rois_blob computes them.
torch::Tensor rois_from_boxes(const torch::Tensor& boxes, double scale);

}  // namespace bua
