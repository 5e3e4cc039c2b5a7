#include "bua/features/vg_test.h"

#include <torch/torch.h>

#include <algorithm>

#include "bua/features/prefetch.h"
#include "bua/ops/nms.h"
#include "bua/util/error.h"
#include "bua/util/failure_list.h"
#include "bua/util/log.h"
#include "bua/util/progress.h"

namespace bua {
namespace {

// Keeps, over all rows of one column, the detections scoring at least the max_per_image-th best score.
void cap_per_image(DetectionTable& table, size_t column, int64_t max_per_image) {
  if (max_per_image <= 0) return;
  std::vector<double> scores;
  for (size_t c = 1; c < table.size(); ++c)
    for (const auto& d : table[c][column]) scores.push_back(d.score);
  if (static_cast<int64_t>(scores.size()) <= max_per_image) return;
  std::nth_element(scores.begin(), scores.begin() + (max_per_image - 1), scores.end(), std::greater<double>());
  const double thresh = scores[max_per_image - 1];
  for (size_t c = 1; c < table.size(); ++c) {
    auto& v = table[c][column];
    v.erase(std::remove_if(v.begin(), v.end(), [&](const EvalDetection& d) { return d.score < thresh; }), v.end());
  }
}

EvalDetection as_detection(const float* box, float score) {
  // The original stores float32 boxes and scores; keep their float32 values.
  return {box[0], box[1], box[2], box[3], score};
}

}  // namespace

void object_detections(const ImageDetections& d, double nms_thresh, int64_t max_per_image, DetectionTable& table,
                       size_t column) {
  const auto boxes = d.regressed_boxes().to(torch::kFloat).cpu().contiguous();  // [R, 4C]
  const auto scores = d.cls_prob.to(torch::kFloat).cpu().contiguous();         // [R, C]
  for (int64_t c = 1; c < scores.size(1) && c < static_cast<int64_t>(table.size()); ++c) {
    const auto cls_boxes = boxes.narrow(1, 4 * c, 4).contiguous();
    const auto cls_scores = scores.select(1, c).contiguous();
    const auto keep = nms(cls_boxes, cls_scores, nms_thresh);
    auto& out = table[c][column];
    out.clear();
    for (int64_t k = 0; k < keep.size(0); ++k) {
      const int64_t i = keep[k].item<int64_t>();
      out.push_back(as_detection(cls_boxes.data_ptr<float>() + 4 * i, cls_scores.data_ptr<float>()[i]));
    }
  }
  cap_per_image(table, column, max_per_image);
}

void attribute_detections(const ImageDetections& d, const torch::Tensor& boxes, int64_t max_per_image,
                          DetectionTable& table, size_t column) {
  const auto b = boxes.to(torch::kFloat).cpu().contiguous();
  const auto p = d.attr_prob.to(torch::kFloat).cpu().contiguous();
  for (int64_t a = 1; a < p.size(1) && a < static_cast<int64_t>(table.size()); ++a) {
    auto& out = table[a][column];
    out.clear();
    for (int64_t i = 0; i < p.size(0); ++i) out.push_back(as_detection(b.data_ptr<float>() + 4 * i, p[i][a].item<float>()));
  }
  cap_per_image(table, column, max_per_image);
}

VgTestResult run_vg_test(Detector& detector, const VgGroundTruth& gt, const std::vector<std::string>& paths,
                         const VgTestOptions& o) {
  if (paths.size() != gt.images.size()) fail("test_net", "one image path per ground-truth image needed");
  if (o.attributes && !detector->attr_head) fail("test_net", "the model has no attribute head");
  VgTestResult result;
  result.table = make_detection_table(o.attributes ? gt.attributes.size() : gt.classes.size(), gt.images.size());
  const ExtractOptions& x = o.extract;
  ImagePrefetcher prefetch(
      paths.size(), [&](size_t i) { return prepare_image(read_image(paths[i], x.image), x.pixel_means, x.target_size, x.max_size); },
      o.decode_threads, static_cast<size_t>(std::max<int64_t>(o.batch_images, 1) * 3));
  Progress progress(o.attributes ? "test_net (attributes)" : "test_net", static_cast<int64_t>(paths.size()), "images");
  std::vector<size_t> columns;
  std::vector<PreparedImage> images;
  std::vector<torch::Tensor> given;
  auto flush = [&] {
    if (images.empty()) return;
    const auto dets = detect(detector, images, x.inference, o.attributes ? given : std::vector<torch::Tensor>{});
    for (size_t k = 0; k < dets.size(); ++k) {
      if (o.attributes) attribute_detections(dets[k], given[k], o.max_per_image, result.table, columns[k]);
      else object_detections(dets[k], x.selection.nms_thresh, o.max_per_image, result.table, columns[k]);
    }
    progress.add(static_cast<int64_t>(images.size()));
    images.clear(), given.clear(), columns.clear();
  };
  PrefetchedImage item;
  while (prefetch.next(item)) {
    const auto& g = gt.images[item.index];
    if (!item.image) {
      log_warn("skipping image " + std::to_string(g.image_id) + ": " + item.error);
      result.failures.push_back(failure_line(std::to_string(g.image_id), paths[item.index], item.error));
      progress.add();
      continue;
    }
    if (o.attributes) {
      std::vector<float> b;
      for (const auto& box : g.boxes) b.insert(b.end(), {float(box[0]), float(box[1]), float(box[2]), float(box[3])});
      if (b.empty()) {
        progress.add();
        continue;
      }
      given.push_back(torch::tensor(b).view({-1, 4}));
    }
    images.push_back(std::move(*item.image));
    columns.push_back(item.index);
    if (static_cast<int64_t>(images.size()) >= o.batch_images) flush();
  }
  flush();
  progress.finish();
  return result;
}

}  // namespace bua
