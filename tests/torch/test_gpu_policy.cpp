// The CUDA policy of inference, run on the CPU (issue #20.2): what CUDA does differently that is not a kernel —
// same-size images sharing a trunk pass, the ROIs of several images in one res5 chunk of up to 4096, the heads
// over the whole batch, the pooled maps of all images in one tensor — checked where there is no GPU. With the
// reduced reference network (tests/data/caffe), prepared as generate_tsv prepares it (folded convolutions,
// channels-last): each image of a mixed batch gets what it gets alone, and the policy keeps Caffe parity.
// ctest label gpu-policy.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <opencv2/imgproc.hpp>

#include "bua/config/arch.h"
#include "bua/features/extractor.h"
#include "bua/image/image.h"
#include "bua/io/caffe_model.h"
#include "bua/model/caffe_import.h"
#include "bua/model/inference.h"
#include "bua_test_paths.h"
#include "caffe_reference.h"

namespace bua {
namespace {

using testing::expect_rel;
const std::string& kDir = testing::kCaffeDir;
torch::Tensor blob(const std::string& name) { return testing::caffe_blob(name); }

torch::Tensor as_tensor(const std::vector<float>& v, int64_t cols) {
  return torch::tensor(v, torch::kFloat).view({-1, cols});
}

class GpuPolicy : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    net_ = new Detector(load_arch(std::string(BUA_SOURCE_DIR) + "/configs/reduced_caffe_ref.yml"));
    import_caffe_weights(*net_, read_caffemodel(kDir + "/weights.caffemodel"), CaffeImportScope::kFull, "weights");
    options_ = new ExtractOptions;
    options_->target_size = 400;  // the reference run's TEST.SCALES and MAX_SIZE
    options_->max_size = 700;
    options_->inference.policy = InferencePolicy::kCuda;
    prepare_for_inference(*net_, torch::kFloat, options_->inference);
  }
  static void TearDownTestSuite() {
    delete net_;
    delete options_;
  }
  static Detector* net_;
  static ExtractOptions* options_;
  torch::NoGradGuard no_grad_;
};
Detector* GpuPolicy::net_ = nullptr;
ExtractOptions* GpuPolicy::options_ = nullptr;

TEST(InferencePolicyValues, EachDeviceHasItsOwnAndEitherCanBeChosen) {
  EXPECT_EQ(default_policy(torch::Device("cpu")), InferencePolicy::kCpu);
  EXPECT_EQ(default_policy(torch::Device("cuda:1")), InferencePolicy::kCuda);
  InferenceOptions o;
  use_policy(o, InferencePolicy::kCuda);
  EXPECT_TRUE(o.share_trunk_pass);
  EXPECT_FALSE(o.chunk_within_image);
  EXPECT_EQ(o.max_rois_per_chunk, 4096);
  use_policy(o, InferencePolicy::kCpu);
  EXPECT_FALSE(o.share_trunk_pass);
  EXPECT_TRUE(o.chunk_within_image);
  EXPECT_EQ(o.max_rois_per_chunk, kCpuRoisPerChunk);
  // prepare_for_inference keeps a policy that was chosen, whatever the device.
  Detector net(load_arch(std::string(BUA_SOURCE_DIR) + "/configs/tiny_test.yml"));
  InferenceOptions chosen;
  chosen.policy = InferencePolicy::kCuda;
  prepare_for_inference(net, torch::kFloat, chosen);
  EXPECT_TRUE(chosen.share_trunk_pass);
  EXPECT_EQ(chosen.policy, InferencePolicy::kCuda);
}

// The reference network's heads in one chunk of all 300 ROIs, and from the JPEG to the selected boxes: within
// the bounds the CPU policy's parity test holds (tests/torch/test_caffe_parity.cpp).
TEST_F(GpuPolicy, KeepsCaffeParity) {
  ASSERT_GE(options_->inference.max_rois_per_chunk, 300);
  const auto h = run_heads(*net_, (*net_)->pool(blob("res4_out"), blob("rois")), options_->inference);
  expect_rel(h.pool5, blob("pool5_flat"), 1e-4, "pool5_flat");
  expect_rel(h.cls_prob, blob("cls_prob"), 1e-4, "cls_prob");
  expect_rel(h.attr_prob, blob("attr_prob"), 1e-4, "attr_prob");
  const auto im = prepare_image(read_image(kDir + "/messi5.jpg"), *options_);
  for (auto [lo, hi] : std::vector<std::pair<int, int>>{{10, 100}, {36, 36}}) {
    ExtractOptions o = *options_;
    o.selection.min_boxes = lo;
    o.selection.max_boxes = hi;
    const FeatureRecord r = extract_features(*net_, {im}, {"messi5"}, o).at(0);
    const std::string tag = "sel_" + std::to_string(lo) + "_" + std::to_string(hi);
    const auto want = blob(tag + "_boxes");
    const auto got = as_tensor(r.boxes, 4);
    ASSERT_EQ(got.sizes(), want.sizes()) << tag;
    EXPECT_LE((got - want).abs().max().item<float>(), 1e-3) << tag;
    expect_rel(as_tensor(r.features, r.feature_dim()),
               blob("pool5_flat").index_select(0, blob(tag + "_keep")), 1e-3, tag + " features");
  }
}

// Four images, two of one blob size (they share a trunk pass) and two of other sizes; the heads run over all
// their ROIs in one chunk. Each image keeps the boxes, classes and attributes it gets alone, and features within
// 1e-5 of its own (oneDNN rounds a batch of two differently from one image, by far less than that).
TEST_F(GpuPolicy, AnImageInAMixedBatchGetsWhatItGetsAlone) {
  const cv::Mat messi = read_image(kDir + "/messi5.jpg");
  cv::Mat flipped, smaller, wider;
  cv::flip(messi, flipped, 1);
  cv::resize(messi, smaller, cv::Size(), 0.8, 0.8, cv::INTER_AREA);
  cv::resize(messi, wider, cv::Size(messi.cols, messi.rows * 3 / 4), 0, 0, cv::INTER_AREA);
  const std::vector<PreparedImage> images{prepare_image(messi, *options_), prepare_image(flipped, *options_),
                                          prepare_image(smaller, *options_), prepare_image(wider, *options_)};
  ASSERT_EQ(images[0].blob.sizes(), images[1].blob.sizes());
  ASSERT_NE(images[0].blob.sizes(), images[2].blob.sizes());
  ASSERT_NE(images[0].blob.sizes(), images[3].blob.sizes());
  const std::vector<std::string> ids{"messi", "flipped", "smaller", "wider"};
  const auto batch = extract_features(*net_, images, ids, *options_);
  ASSERT_EQ(batch.size(), 4u);
  for (size_t i = 0; i < images.size(); ++i) {
    const FeatureRecord alone = extract_features(*net_, {images[i]}, {ids[i]}, *options_).at(0);
    const FeatureRecord& got = batch[i];
    ASSERT_EQ(got.num_boxes, alone.num_boxes) << ids[i];
    ASSERT_GE(got.num_boxes, 10) << ids[i];
    EXPECT_EQ(got.objects_id, alone.objects_id) << ids[i];
    EXPECT_EQ(got.attrs_id, alone.attrs_id) << ids[i];
    const auto boxes = as_tensor(got.boxes, 4), alone_boxes = as_tensor(alone.boxes, 4);
    EXPECT_LE((boxes - alone_boxes).abs().max().item<float>(), 1e-3) << ids[i];
    expect_rel(as_tensor(got.features, got.feature_dim()), as_tensor(alone.features, alone.feature_dim()), 1e-5,
               ids[i] + " features");
  }
}

}  // namespace
}  // namespace bua
