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

void prepare_for_inference(Detector& detector, torch::ScalarType dtype, InferenceOptions& options) {
  const bool cuda = detector->box_head->cls_score->weight.is_cuda();
  detector->to(dtype);
  detector->eval();
  fuse_conv_affine(*detector, /*channels_last=*/cuda);
  options.dtype = dtype;
  options.channels_last = cuda;
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

}  // namespace

std::vector<ImageDetections> detect(Detector& detector, const std::vector<PreparedImage>& images,
                                    const InferenceOptions& options, const std::vector<torch::Tensor>& given_boxes) {
  if (!given_boxes.empty() && given_boxes.size() != images.size())
    fail("detect", "given_boxes must hold one tensor per image");
  torch::NoGradGuard no_grad;
  const auto device = detector->box_head->cls_score->weight.device();
  std::vector<ImageDetections> out(images.size());
  // Images of the same blob size share one trunk/RPN pass: no padding is involved, so each image's features
  // are what it would get alone. Other sizes run separately.
  std::map<std::pair<int64_t, int64_t>, std::vector<size_t>> by_size;
  for (size_t i = 0; i < images.size(); ++i) by_size[{images[i].blob.size(2), images[i].blob.size(3)}].push_back(i);
  std::vector<torch::Tensor> pooled(images.size());
  for (const auto& [size, members] : by_size) {
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
      pooled[i] = detector->pool(own, d.rois);
    }
  }
  // res5 and heads over all ROIs, in chunks of whole images' ROIs concatenated.
  const auto all = pooled.empty() ? torch::Tensor() : torch::cat(pooled, 0);
  pooled.clear();
  std::vector<HeadOutputs> parts;
  if (!all.defined()) return out;
  // At least one call, so that images without ROIs still get (empty) outputs of the right shapes.
  int64_t start = 0;
  do {
    const int64_t n = std::min(options.max_rois_per_chunk, all.size(0) - start);
    auto chunk = all.narrow(0, start, n);
    if (options.channels_last) chunk = chunk.contiguous(torch::MemoryFormat::ChannelsLast);
    parts.push_back(detector->heads(chunk));
    start += n;
  } while (start < all.size(0));
  auto gather = [&](torch::Tensor HeadOutputs::*field) {
    std::vector<torch::Tensor> ts;
    for (auto& p : parts)
      if ((p.*field).defined()) ts.push_back((p.*field).to(torch::kFloat));
    return ts.empty() ? torch::Tensor() : torch::cat(ts, 0);
  };
  const auto pool5 = gather(&HeadOutputs::pool5), cls_score = gather(&HeadOutputs::cls_score),
             cls_prob = gather(&HeadOutputs::cls_prob), bbox_pred = gather(&HeadOutputs::bbox_pred),
             attr_prob = gather(&HeadOutputs::attr_prob);
  int64_t offset = 0;
  for (auto& d : out) {
    const int64_t n = d.rois.size(0);
    d.pool5 = pool5.narrow(0, offset, n);
    d.cls_score = cls_score.narrow(0, offset, n);
    d.cls_prob = cls_prob.narrow(0, offset, n);
    d.bbox_pred = bbox_pred.narrow(0, offset, n);
    if (attr_prob.defined()) d.attr_prob = attr_prob.narrow(0, offset, n);
    offset += n;
  }
  return out;
}

}  // namespace bua
