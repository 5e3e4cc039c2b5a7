#include "bua/features/extractor.h"

#include <torch/torch.h>

#include "bua/features/image_list.h"
#include "bua/util/error.h"
#include "bua/util/log.h"

namespace bua {
namespace {

template <typename T>
std::vector<T> to_vector(const torch::Tensor& t) {
  const auto c = t.contiguous().cpu();
  return std::vector<T>(c.data_ptr<T>(), c.data_ptr<T>() + c.numel());
}

// argmax and max over columns 1.. (column 0 is background / no attribute), ids shifted to 0-based.
std::pair<std::vector<int64_t>, std::vector<float>> best_foreground(const torch::Tensor& prob) {
  const auto [conf, idx] = prob.narrow(1, 1, prob.size(1) - 1).max(1);
  return {to_vector<int64_t>(idx), to_vector<float>(conf.to(torch::kFloat))};
}

}  // namespace

BoxSource parse_box_source(const std::string& name) {
  if (name == "proposals") return BoxSource::kProposals;
  if (name == "regressed") return BoxSource::kRegressed;
  fail("--box-source", "unknown box source '" + name + "' (expected proposals or regressed)");
}

torch::Tensor best_class_boxes(const ImageDetections& d, const torch::Tensor& keep) {
  const auto k = keep.to(d.cls_prob.device());
  const auto prob = d.cls_prob.index_select(0, k);
  const auto cls = prob.narrow(1, 1, prob.size(1) - 1).argmax(1) + 1;  // best foreground class
  const auto boxes = d.regressed_boxes().index_select(0, k).view({k.size(0), -1, 4});
  const auto rows = torch::arange(k.size(0), cls.options());
  return boxes.index({rows, cls}).to(torch::kFloat);
}

ExtractOptions extract_options(const Config& cfg) {
  ExtractOptions o;
  if (cfg.TEST.SCALES.empty()) fail("TEST.SCALES", "needs at least one scale");
  if (cfg.TEST.SCALES.size() > 1) log_warn("TEST.SCALES has several scales; features use the first, as the original");
  o.target_size = cfg.TEST.SCALES.front();
  o.max_size = cfg.TEST.MAX_SIZE;
  o.pixel_means = cfg.PIXEL_MEANS;
  o.selection.nms_thresh = cfg.TEST.NMS;
  o.inference = inference_options(cfg);
  return o;
}

PreparedImage prepare_image(const cv::Mat& bgr, const ExtractOptions& options) {
  return prepare_image(bgr, options.pixel_means, options.target_size, options.max_size);
}

PreparedImage prepare_image_file(const std::string& path, const ExtractOptions& options) {
  // Opened only when a regular file: a FIFO would block the reader, /dev/zero fill the memory.
  const std::string not_file = not_a_regular_file(path);
  if (!not_file.empty()) fail(path, not_file);
  return prepare_image(read_image(path, options.image), options);
}

FeatureRecord make_feature_record(const std::string& image_id, const ImageDetections& d, const torch::Tensor& keep) {
  auto rows = [&](const torch::Tensor& t) { return keep.defined() ? t.index_select(0, keep.to(t.device())) : t; };
  FeatureRecord r;
  r.image_id = image_id;
  r.image_w = d.image_w;
  r.image_h = d.image_h;
  const auto boxes = rows(d.boxes).to(torch::kFloat).cpu();
  r.num_boxes = boxes.size(0);
  r.boxes = to_vector<float>(boxes);
  r.features = to_vector<float>(rows(d.pool5).to(torch::kFloat));
  std::tie(r.objects_id, r.objects_conf) = best_foreground(rows(d.cls_prob));
  if (d.attr_prob.defined()) std::tie(r.attrs_id, r.attrs_conf) = best_foreground(rows(d.attr_prob));
  else r.attrs_id.assign(r.num_boxes, 0), r.attrs_conf.assign(r.num_boxes, 0.f);
  return r;
}

std::vector<FeatureRecord> extract_features(Detector& detector, const std::vector<PreparedImage>& images,
                                            const std::vector<std::string>& ids, const ExtractOptions& options,
                                            const std::vector<torch::Tensor>& given_boxes) {
  if (ids.size() != images.size()) fail("extract_features", "one id per image needed");
  // Images with and without given boxes run as two detect() calls, each batched.
  std::vector<size_t> with, without;
  for (size_t i = 0; i < images.size(); ++i)
    (!given_boxes.empty() && given_boxes[i].defined() ? with : without).push_back(i);
  std::vector<FeatureRecord> out(images.size());
  auto run = [&](const std::vector<size_t>& idx, bool given) {
    if (idx.empty()) return;
    std::vector<PreparedImage> ims;
    std::vector<torch::Tensor> boxes;
    for (size_t i : idx) {
      ims.push_back(images[i]);
      if (given) boxes.push_back(given_boxes[i]);
    }
    const auto dets = detect(detector, ims, options.inference, boxes);
    if (!given && options.box_source == BoxSource::kRegressed) {
      // Second pass: the features of the regressed boxes, as if they had been given.
      std::vector<torch::Tensor> regressed;
      for (const auto& d : dets) regressed.push_back(best_class_boxes(d, select_boxes(d.boxes, d.cls_prob, options.selection).keep));
      const auto second = detect(detector, ims, options.inference, regressed);
      for (size_t k = 0; k < idx.size(); ++k) out[idx[k]] = make_feature_record(ids[idx[k]], second[k], {});
      return;
    }
    for (size_t k = 0; k < idx.size(); ++k) {
      const auto& d = dets[k];
      torch::Tensor keep;
      if (!given) keep = select_boxes(d.boxes, d.cls_prob, options.selection).keep;
      out[idx[k]] = make_feature_record(ids[idx[k]], d, keep);
    }
  };
  run(without, false);
  run(with, true);
  return out;
}

}  // namespace bua
