#include "bua/model/inference.h"

#include <torch/torch.h>

#include <map>

#include "bua/structures/boxes.h"
#include "bua/util/error.h"

namespace bua {

InferenceOptions inference_options(const Config& cfg) {
  InferenceOptions o;
  o.proposals.pre_nms_top_n(cfg.TEST.RPN_PRE_NMS_TOP_N)
      .post_nms_top_n(cfg.TEST.RPN_POST_NMS_TOP_N)
      .nms_thresh(cfg.TEST.RPN_NMS_THRESH)
      .min_size(cfg.TEST.RPN_MIN_SIZE);
  return o;
}

InferencePolicy default_policy(const torch::Device& device) {
  return device.is_cuda() ? InferencePolicy::kCuda : InferencePolicy::kCpu;
}

void use_policy(InferenceOptions& options, InferencePolicy policy) {
  options.policy = policy;
  const bool cpu = policy == InferencePolicy::kCpu;
  options.max_rois_per_chunk = cpu ? kCpuRoisPerChunk : 4096;
  options.chunk_within_image = cpu;
  options.share_trunk_pass = !cpu;
}

void prepare_for_inference(Detector& detector, torch::ScalarType dtype, InferenceOptions& options) {
  const torch::Device device = detector->box_head->cls_score->weight.device();
  detector->to(dtype);
  detector->eval();
  // Channels-last on both devices: cuDNN's fast kernels want it, and on the CPU oneDNN's trunk runs ~20% faster
  // and ROI pooling reads and writes the layout it walks.
  fuse_conv_affine(*detector, /*channels_last=*/true);
  options.dtype = dtype;
  options.channels_last = true;
  use_policy(options, options.policy.value_or(default_policy(device)));
}

torch::Tensor with_batch_index(const torch::Tensor& boxes) {
  return torch::cat({torch::zeros({boxes.size(0), 1}, boxes.options()), boxes}, 1);
}

torch::Tensor rois_from_boxes(const torch::Tensor& boxes, double scale) {
  TORCH_CHECK(boxes.dim() == 2 && boxes.size(1) == 4, "given boxes must be [N,4]");
  const auto scaled = (boxes.to(torch::kDouble) * scale).to(torch::kFloat);
  return with_batch_index(scaled);
}

torch::Tensor ImageDetections::regressed_boxes() const {
  return clip_boxes(apply_box_deltas(boxes, bbox_pred), static_cast<double>(image_h), static_cast<double>(image_w));
}

namespace {

// Exact float32 division (not a multiplication by 1/scale): rois[:,1:5] / im_scale in numpy's float32.
torch::Tensor to_image_pixels(const torch::Tensor& rois, double scale) {
  const auto b = rois.narrow(1, 1, 4);
  return b / torch::full_like(b, static_cast<float>(scale));
}

// res5 over pooled maps [R,C,P,P] in pieces of at most `chunk` ROIs → pool5 [R,D].
torch::Tensor res5_in_chunks(Detector& detector, const torch::Tensor& pooled, const InferenceOptions& options) {
  // No convolution on zero ROIs: LibTorch 1.13 fails on an empty batch with channels-last weights.
  if (pooled.size(0) == 0) return torch::empty({0, detector->res5->out_channels()}, pooled.options());
  std::vector<torch::Tensor> parts;
  for (int64_t start = 0; start < pooled.size(0);) {
    auto piece = pooled.narrow(0, start, std::min(options.max_rois_per_chunk, pooled.size(0) - start));
    if (options.channels_last) piece = piece.contiguous(torch::MemoryFormat::ChannelsLast);
    parts.push_back(detector->res5->forward(piece));
    start += piece.size(0);
  }
  return parts.size() == 1 ? parts[0] : torch::cat(parts, 0);
}

}  // namespace

HeadOutputs run_heads(Detector& detector, const torch::Tensor& pooled, const InferenceOptions& options) {
  HeadOutputs h = detector->classify(res5_in_chunks(detector, pooled, options));
  for (auto* t : {&h.pool5, &h.cls_score, &h.cls_prob, &h.bbox_pred, &h.attr_prob})
    if (t->defined()) *t = t->to(torch::kFloat);
  return h;
}

namespace {

void store(ImageDetections& d, const HeadOutputs& h, int64_t offset) {
  const int64_t n = d.rois.size(0);
  d.pool5 = h.pool5.narrow(0, offset, n);
  d.cls_score = h.cls_score.narrow(0, offset, n);
  d.cls_prob = h.cls_prob.narrow(0, offset, n);
  d.bbox_pred = h.bbox_pred.narrow(0, offset, n);
  if (h.attr_prob.defined()) d.attr_prob = h.attr_prob.narrow(0, offset, n);
}

}  // namespace

std::vector<ImageDetections> detect(Detector& detector, const std::vector<PreparedImage>& images,
                                    const InferenceOptions& options, const std::vector<torch::Tensor>& given_boxes) {
  if (!given_boxes.empty() && given_boxes.size() != images.size())
    fail("detect", "given_boxes must hold one tensor per image");
  if (options.max_rois_per_chunk < 1) fail("detect", "max_rois_per_chunk must be at least 1");
  torch::NoGradGuard no_grad;
  const auto device = detector->box_head->cls_score->weight.device();
  std::vector<ImageDetections> out(images.size());
  // With share_trunk_pass, images of the same blob size share one trunk/RPN pass (no padding is involved);
  // otherwise, and always for other sizes, each image runs alone.
  std::map<std::pair<int64_t, int64_t>, std::vector<size_t>> groups;
  for (size_t i = 0; i < images.size(); ++i) {
    const auto key = options.share_trunk_pass ? std::make_pair(images[i].blob.size(2), images[i].blob.size(3))
                                              : std::make_pair(static_cast<int64_t>(i), int64_t{-1});
    groups[key].push_back(i);
  }
  // The features each image's ROIs are pooled from (views of its group's pass), for the batched heads.
  std::vector<torch::Tensor> own_features(images.size());
  for (const auto& [key, members] : groups) {
    std::vector<torch::Tensor> blobs;
    for (size_t i : members) blobs.push_back(images[i].blob);
    auto blob = torch::cat(blobs, 0).to(device, options.dtype);
    if (options.channels_last) blob = blob.contiguous(torch::MemoryFormat::ChannelsLast);
    const auto features = detector->features(blob);
    RpnOutput rpn;
    if (given_boxes.empty()) rpn = detector->rpn->forward(features);
    for (size_t g = 0; g < members.size(); ++g) {
      const size_t i = members[g];
      const PreparedImage& im = images[i];
      ImageDetections& d = out[i];
      d.image_h = im.image_h;
      d.image_w = im.image_w;
      d.scale = im.scale;
      const auto own = features.narrow(0, static_cast<int64_t>(g), 1);
      if (given_boxes.empty()) {
        RpnOutput r{rpn.logits.narrow(0, g, 1), rpn.probs.narrow(0, g, 1), rpn.deltas.narrow(0, g, 1)};
        // The proposal layer reads the scale from the float32 im_info blob.
        const double info_scale = static_cast<float>(im.scale);
        const Proposals p = detector->propose(r, im.blob_h(), im.blob_w(), info_scale, options.proposals);
        d.rois = with_batch_index(p.boxes);
        d.proposal_scores = p.scores;
      } else {
        d.rois = rois_from_boxes(given_boxes[i].cpu(), im.scale).to(device);
      }
      d.boxes = to_image_pixels(d.rois, im.scale);
      // One image at a time: its pooled maps (up to 240 MB in float32) are dropped as soon as res5 has run.
      if (options.chunk_within_image) store(d, run_heads(detector, detector->pool(own, d.rois), options), 0);
      else own_features[i] = own;
    }
  }
  if (options.chunk_within_image || images.empty()) return out;
  // res5 and heads over the ROIs of all images together. Each image's pooled maps go straight into one tensor
  // for all: concatenating them afterwards would hold every map twice (3.9 GB each at 16 images x 300 ROIs).
  int64_t total = 0;
  for (const auto& d : out) total += d.rois.size(0);
  torch::Tensor all;
  int64_t offset = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    const int64_t n = out[i].rois.size(0);
    if (n == 0) continue;
    const auto maps = detector->pool(own_features[i], out[i].rois);
    if (!all.defined()) {
      std::vector<int64_t> sizes = maps.sizes().vec();
      sizes[0] = total;
      all = torch::empty(sizes, maps.options().memory_format(maps.suggest_memory_format()));
    }
    all.narrow(0, offset, n).copy_(maps);
    offset += n;
  }
  if (!all.defined()) all = detector->pool(own_features[0], out[0].rois);  // no ROI at all: [0,C,P,P]
  own_features.clear();
  const HeadOutputs h = run_heads(detector, all, options);
  all = torch::Tensor();
  offset = 0;
  for (auto& d : out) {
    store(d, h, offset);
    offset += d.rois.size(0);
  }
  return out;
}

}  // namespace bua
