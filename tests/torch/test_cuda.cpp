// The CUDA paths against the CPU ones (which the other tests tie to the original): the custom kernels must
// agree exactly, the whole detector to float tolerance. Skipped where no GPU is visible.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <opencv2/imgproc.hpp>

#include "bua/config/arch.h"
#include "bua/features/select.h"
#include "bua/image/image.h"
#include "bua/io/caffe_model.h"
#include "bua/model/caffe_import.h"
#include "bua/model/checkpoint.h"
#include "bua/model/device.h"
#include "bua/model/inference.h"
#include "bua/model/resnet.h"
#include "bua/ops/nms.h"
#include "bua/ops/roi_pool.h"
#include "bua/train/autocast.h"
#include "bua/train/detector_loss.h"
#include "bua_test_paths.h"

namespace bua {
namespace {

class Cuda : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
    use_exact_float32();
  }
  const torch::Device gpu{torch::kCUDA, 0};
};

torch::Tensor random_boxes(int64_t n, float extent) {
  const auto xy = torch::rand({n, 2}) * extent, wh = torch::rand({n, 2}) * extent / 3 + 1;
  return torch::cat({xy, xy + wh}, 1);
}

TEST_F(Cuda, NmsMatchesCpu) {
  torch::manual_seed(1);
  for (int64_t n : {1, 63, 64, 65, 300, 3000}) {
    const auto boxes = random_boxes(n, 200), scores = torch::rand({n});
    EXPECT_TRUE(torch::equal(nms(boxes, scores, 0.7), nms(boxes.to(gpu), scores.to(gpu), 0.7).cpu())) << n;
  }
}

TEST_F(Cuda, NmsMaxScoresMatchesCpu) {
  torch::manual_seed(2);
  const auto boxes = random_boxes(300, 300);
  const auto scores = torch::softmax(torch::randn({300, 1601}) * 4, 1);
  EXPECT_TRUE(torch::equal(nms_max_scores(boxes, scores, 0.3), nms_max_scores(boxes.to(gpu), scores.to(gpu), 0.3).cpu()));
}

TEST_F(Cuda, RoiPoolForwardAndBackwardMatchCpu) {
  torch::manual_seed(3);
  const auto x = torch::randn({2, 8, 25, 40});
  const auto b = torch::randint(0, 2, {50, 1}).to(torch::kFloat);
  const auto rois = torch::cat({b, random_boxes(50, 600)}, 1);
  const auto cpu_x = x.clone().requires_grad_(true), gpu_x = x.to(gpu).requires_grad_(true);
  const auto y_cpu = roi_pool(cpu_x, rois, 14, 1.0 / 16), y_gpu = roi_pool(gpu_x, rois.to(gpu), 14, 1.0 / 16);
  EXPECT_TRUE(torch::equal(y_cpu, y_gpu.cpu()));
  const auto g = torch::randn_like(y_cpu);
  y_cpu.backward(g);
  y_gpu.backward(g.to(gpu));
  EXPECT_TRUE(torch::allclose(cpu_x.grad(), gpu_x.grad().cpu(), 1e-5, 1e-6));
}

TEST_F(Cuda, DetectorMatchesCpuOnTheReferenceNet) {
  const std::string dir = std::string(BUA_TEST_DATA) + "/caffe";
  Detector net(load_arch(std::string(BUA_SOURCE_DIR) + "/configs/reduced_caffe_ref.yml"));
  import_caffe_weights(net, read_caffemodel(dir + "/weights.caffemodel"), CaffeImportScope::kFull, "weights");
  net->eval();
  const auto im = prepare_image(read_image(dir + "/messi5.jpg"), {102.9801, 115.9465, 122.7717}, 400, 700);
  // The same proposals on both devices (given boxes), so the comparison is of the network alone.
  const auto boxes = detect(net, {im}, InferenceOptions()).at(0).boxes;
  const auto cpu = detect(net, {im}, InferenceOptions(), {boxes}).at(0);
  net->to(gpu);
  const auto cuda = detect(net, {im}, InferenceOptions(), {boxes}).at(0);
  const double scale = cpu.pool5.abs().max().item<double>();
  EXPECT_LE((cpu.pool5 - cuda.pool5.cpu()).abs().max().item<double>(), 1e-4 * scale);
  EXPECT_LE((cpu.cls_prob - cuda.cls_prob.cpu()).abs().max().item<double>(), 1e-5);
  EXPECT_LE((cpu.attr_prob - cuda.attr_prob.cpu()).abs().max().item<double>(), 1e-5);
  // End to end on the GPU: the proposals as a set within 1e-3 px of the CPU's.
  const auto full = detect(net, {im}, InferenceOptions()).at(0);
  ASSERT_EQ(full.boxes.size(0), boxes.size(0));
  const auto dist = (full.boxes.cpu().unsqueeze(1) - boxes.unsqueeze(0)).abs().amax(2);
  EXPECT_LE(std::get<0>(dist.min(1)).max().item<float>(), 1e-3);
}

// The ROI-pool kernels of the half types (bf16 on the extraction path) select the same maxima as the CPU's, with
// and without the argmax buffer training keeps.
TEST_F(Cuda, RoiPoolHalfTypesMatchCpu) {
  torch::manual_seed(4);
  const auto x = torch::randn({2, 8, 25, 40});
  const auto b = torch::randint(0, 2, {50, 1}).to(torch::kFloat);
  const auto rois = torch::cat({b, random_boxes(50, 600)}, 1);
  for (auto dtype : {torch::kBFloat16, torch::kHalf}) {
    const auto xd = x.to(dtype);
    const auto cpu = roi_pool(xd, rois, 14, 1.0 / 16);
    EXPECT_TRUE(torch::equal(cpu, roi_pool(xd.to(gpu), rois.to(gpu), 14, 1.0 / 16).cpu())) << dtype;
    const auto trained = roi_pool(xd.to(gpu).requires_grad_(true), rois.to(gpu), 14, 1.0 / 16);
    EXPECT_TRUE(torch::equal(cpu, trained.detach().cpu())) << dtype;
  }
}

// What generate_tsv runs, on both devices: the network prepared for inference (folded convolutions,
// channels-last) in fp32 and bf16, the CPU under its policy and the GPU under the CUDA one with three images of
// two sizes in one batch (two share a trunk pass), on the same boxes.
TEST_F(Cuda, PreparedNetworkMatchesCpuInBothDtypes) {
  const std::string dir = std::string(BUA_TEST_DATA) + "/caffe";
  const cv::Mat messi = read_image(dir + "/messi5.jpg");
  cv::Mat flipped, smaller;
  cv::flip(messi, flipped, 1);
  cv::resize(messi, smaller, cv::Size(), 0.8, 0.8, cv::INTER_AREA);
  std::vector<PreparedImage> images;
  for (const cv::Mat& m : std::vector<cv::Mat>{messi, flipped, smaller})
    images.push_back(prepare_image(m, {102.9801, 115.9465, 122.7717}, 400, 700));
  for (auto dtype : {torch::kFloat, torch::kBFloat16}) {
    auto load = [&](const torch::Device& device) {
      Detector net(load_arch(std::string(BUA_SOURCE_DIR) + "/configs/reduced_caffe_ref.yml"));
      import_caffe_weights(net, read_caffemodel(dir + "/weights.caffemodel"), CaffeImportScope::kFull, "weights");
      net->to(device);
      return net;
    };
    Detector cpu_net = load(torch::kCPU), gpu_net = load(gpu);
    InferenceOptions cpu_o, gpu_o;
    prepare_for_inference(cpu_net, dtype, cpu_o);
    prepare_for_inference(gpu_net, dtype, gpu_o);
    ASSERT_EQ(gpu_o.policy, InferencePolicy::kCuda);
    std::vector<torch::Tensor> boxes;
    for (const auto& im : images) boxes.push_back(detect(cpu_net, {im}, cpu_o).at(0).boxes);
    const auto cpu = detect(cpu_net, images, cpu_o, boxes), cuda = detect(gpu_net, images, gpu_o, boxes);
    for (size_t i = 0; i < images.size(); ++i) {
      const auto a = cpu[i].pool5, g = cuda[i].pool5.cpu();
      const std::string what = std::string(dtype == torch::kFloat ? "fp32" : "bf16") + " image " + std::to_string(i);
      if (dtype == torch::kFloat) {
        EXPECT_LE((a - g).abs().max().item<double>(), 1e-4 * a.abs().max().item<double>()) << what;
        EXPECT_LE((cpu[i].cls_prob - cuda[i].cls_prob.cpu()).abs().max().item<double>(), 1e-5) << what;
      } else {
        // bf16 on two devices: the features as directions (what the mission's bf16 bound is stated in).
        EXPECT_GE(torch::cosine_similarity(a, g, 1).min().item<double>(), 0.999) << what;
      }
    }
  }
}

// Training on the GPU: the losses of one image equal the CPU's in float32; in mixed precision (bf16
// autocast, with batch statistics) they stay float32, close to float32's, and give finite gradients.
TEST_F(Cuda, TrainingLossesMatchCpuAndMixedPrecisionRuns) {
  const auto arch = load_arch(std::string(BUA_SOURCE_DIR) + "/configs/tiny_test.yml");
  Config cfg = load_config({std::string(BUA_SOURCE_DIR) + "/experiments/cfgs/faster_rcnn_end2end_resnet.yml"});
  cfg.TRAIN.SCALES = {160};
  cv::Mat im(120, 160, CV_8UC3, cv::Scalar(128, 128, 128));
  cv::rectangle(im, cv::Rect(20, 30, 50, 40), cv::Scalar(0, 0, 255), cv::FILLED);
  cv::rectangle(im, cv::Rect(90, 20, 40, 60), cv::Scalar(255, 0, 0), cv::FILLED);
  std::vector<int64_t> attrs(32, 0);
  attrs[0] = 1, attrs[16] = 2;
  std::mt19937 rng(1);
  const auto blob = prepare_training_blob(im, false, torch::tensor({20.f, 30.f, 69.f, 69.f, 90.f, 20.f, 129.f, 79.f}).view({2, 4}),
                                          torch::tensor({1, 2}), torch::tensor(attrs).view({2, 16}), cfg, rng);
  torch::manual_seed(3);
  Detector cpu(arch), cuda(arch);
  for (auto& p : cpu->named_parameters()) p.value().data().normal_(0, 0.05);
  load_state(*cuda, state_of(*cpu), "the CPU model");
  auto run = [&](Detector& d, torch::ScalarType dtype) {
    std::mt19937 r(7);
    AutocastScope amp(d->box_head->cls_score->weight.device(), dtype);
    return detector_losses(d, blob, cfg.TRAIN, r);
  };
  cuda->to(gpu);
  const LossTerms c = run(cpu, torch::kFloat), g = run(cuda, torch::kFloat);
  for (const auto& [x, y] : {std::pair{c.rpn_cls, g.rpn_cls}, {c.rpn_bbox, g.rpn_bbox}, {c.cls, g.cls}, {c.bbox, g.bbox}, {c.attr, g.attr}})
    EXPECT_NEAR(y.item<double>(), x.item<double>(), 1e-4 * std::abs(x.item<double>()) + 1e-6);

  enable_batch_norm(*cuda, 0.1);
  const LossTerms f = run(cuda, torch::kFloat), b = run(cuda, torch::kBFloat16);
  for (const auto& [x, y] : {std::pair{f.rpn_cls, b.rpn_cls}, {f.cls, b.cls}, {f.attr, b.attr}}) {
    EXPECT_EQ(y.scalar_type(), torch::kFloat);
    EXPECT_NEAR(y.item<double>(), x.item<double>(), 0.05 * std::abs(x.item<double>()) + 1e-3);
  }
  b.total().backward();
  for (const auto& p : cuda->named_parameters())
    if (p.value().grad().defined()) EXPECT_TRUE(torch::isfinite(p.value().grad()).all().item<bool>()) << p.key();
}

}  // namespace
}  // namespace bua
