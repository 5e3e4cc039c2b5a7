// Batching never changes a feature on the CPU: an image's outputs in a batch of images of several sizes are
// bit for bit what it gets alone, and the small res5 chunks the CPU uses (for the cache) give the outputs of one
// pass over all ROIs within float rounding. And a batch that fails is retried image by image only where the
// image, not the device, is at fault (issue #24).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "bua/config/arch.h"
#include "bua/features/stream.h"
#include "bua/model/inference.h"
#include "bua/util/device_fault.h"
#include "bua_test_paths.h"

namespace bua {
namespace {

Detector tiny_detector() {
  torch::manual_seed(3);
  Detector net(load_arch(std::string(BUA_SOURCE_DIR) + "/configs/tiny_test.yml"));
  // Spread the RPN's scores so that NMS leaves many proposals (several res5 chunks per image).
  torch::NoGradGuard ng;
  net->rpn->cls_score->weight.normal_(0, 1.0);
  return net;
}

PreparedImage image(int w, int h, int seed) {
  cv::Mat im(h, w, CV_8UC3);
  cv::theRNG().state = static_cast<uint64_t>(seed);
  cv::randu(im, 0, 255);
  return prepare_image(im, {102.9801, 115.9465, 122.7717}, 160, 256);
}

void expect_same(const ImageDetections& a, const ImageDetections& b, const std::string& what) {
  SCOPED_TRACE(what);
  ASSERT_EQ(a.rois.size(0), b.rois.size(0));
  EXPECT_TRUE(torch::equal(a.boxes, b.boxes));
  EXPECT_TRUE(torch::equal(a.pool5, b.pool5));
  EXPECT_TRUE(torch::equal(a.cls_prob, b.cls_prob));
  EXPECT_TRUE(torch::equal(a.bbox_pred, b.bbox_pred));
  EXPECT_TRUE(torch::equal(a.attr_prob, b.attr_prob));
}

class InferenceBatching : public ::testing::TestWithParam<torch::ScalarType> {};

TEST_P(InferenceBatching, AnImageGetsWhatItGetsAlone) {
  auto net = tiny_detector();
  InferenceOptions o;
  o.proposals.post_nms_top_n(60);
  prepare_for_inference(net, GetParam(), o);
  ASSERT_TRUE(o.chunk_within_image);
  ASSERT_EQ(o.max_rois_per_chunk, kCpuRoisPerChunk);
  ASSERT_FALSE(o.share_trunk_pass);
  // Two images of one size (they share the trunk pass) and one of another.
  const std::vector<PreparedImage> ims = {image(200, 150, 1), image(240, 120, 2), image(200, 150, 3)};
  const auto together = detect(net, ims, o);
  for (size_t i = 0; i < ims.size(); ++i) {
    const auto alone = detect(net, {ims[i]}, o).at(0);
    ASSERT_GT(alone.rois.size(0), 2 * kCpuRoisPerChunk) << "the test wants several res5 chunks per image";
    expect_same(together[i], alone, "image " + std::to_string(i));
  }
  // Given boxes, one image with none: its outputs are empty with the right widths, the others unchanged.
  const std::vector<torch::Tensor> given = {together[0].boxes.narrow(0, 0, 11), torch::zeros({0, 4}),
                                            together[2].boxes.narrow(0, 0, 5)};
  const auto forced = detect(net, ims, o, given);
  EXPECT_EQ(forced[1].pool5.sizes(), (std::vector<int64_t>{0, 64}));
  EXPECT_EQ(forced[1].cls_prob.sizes(), (std::vector<int64_t>{0, 9}));
  EXPECT_EQ(forced[1].attr_prob.sizes(), (std::vector<int64_t>{0, 9}));
  expect_same(forced[2], detect(net, {ims[2]}, o, {given[2]}).at(0), "given boxes");
}

TEST_P(InferenceBatching, SmallRes5ChunksMatchOnePass) {
  auto net = tiny_detector();
  InferenceOptions chunked;
  chunked.proposals.post_nms_top_n(60);
  prepare_for_inference(net, GetParam(), chunked);
  InferenceOptions one_pass = chunked;
  one_pass.max_rois_per_chunk = 4096;
  one_pass.chunk_within_image = false;
  const std::vector<PreparedImage> ims = {image(200, 150, 4), image(240, 120, 5)};
  const auto a = detect(net, ims, chunked), b = detect(net, ims, one_pass);
  const double tol = GetParam() == torch::kFloat ? 1e-5 : 2e-2;
  for (size_t i = 0; i < ims.size(); ++i) {
    ASSERT_TRUE(torch::equal(a[i].rois, b[i].rois));  // the trunk and RPN do not depend on the chunks
    EXPECT_TRUE(torch::allclose(a[i].pool5, b[i].pool5, tol, tol));
    EXPECT_TRUE(torch::allclose(a[i].cls_prob, b[i].cls_prob, tol, tol));
  }
}

INSTANTIATE_TEST_SUITE_P(Cpu, InferenceBatching, ::testing::Values(torch::kFloat, torch::kBFloat16),
                         [](const auto& info) { return info.param == torch::kFloat ? "fp32" : "bf16"; });

// ---- a failing batch --------------------------------------------------------------------------------------

// A real LibTorch error with that message, its stack trace and all.
c10::Error torch_error(const std::string& text) {
  try {
    TORCH_CHECK(false, text);
  } catch (const c10::Error& e) {
    return e;
  }
  throw std::logic_error("TORCH_CHECK(false) did not throw");
}

TEST(BatchFailure, KindsOfFailure) {
  EXPECT_EQ(failure_kind(std::bad_alloc()), FailureKind::kOutOfMemory);
  EXPECT_EQ(failure_kind(DeviceFault("x")), FailureKind::kDevice);
  EXPECT_EQ(failure_kind(Error("img.jpg: box 3 is outside the image")), FailureKind::kImage);
  EXPECT_EQ(failure_kind(torch_error("CUDA out of memory. Tried to allocate 2.00 GiB")), FailureKind::kOutOfMemory);
  EXPECT_EQ(failure_kind(torch_error("CUDA error: out of memory")), FailureKind::kOutOfMemory);
  EXPECT_EQ(failure_kind(torch_error("DefaultCPUAllocator: not enough memory: you tried to allocate 9 bytes")),
            FailureKind::kOutOfMemory);
  EXPECT_EQ(failure_kind(torch_error("CUDA error: an illegal memory access was encountered")), FailureKind::kDevice);
  EXPECT_EQ(failure_kind(torch_error("cuDNN error: CUDNN_STATUS_EXECUTION_FAILED")), FailureKind::kDevice);
  EXPECT_EQ(failure_kind(torch_error("CUDA error: device-side assert triggered")), FailureKind::kDevice);
  EXPECT_EQ(failure_kind(torch_error("NCCL error in: ProcessGroupNCCL.cpp:1, unhandled cuda error")),
            FailureKind::kDevice);
  // A shape LibTorch refuses is the image's (or a bug's), not the device's.
  EXPECT_EQ(failure_kind(torch_error("Expected 4-dimensional input for 4-dimensional weight")), FailureKind::kImage);
}

// A fake network over a batch of 4: records carry their position as the image id.
struct FakeRun {
  std::function<void(const std::vector<size_t>&)> fault;  // throws for some calls
  std::vector<std::vector<size_t>> calls;
  std::vector<FeatureRecord> operator()(const std::vector<size_t>& which) {
    calls.push_back(which);
    fault(which);
    std::vector<FeatureRecord> out(which.size());
    for (size_t k = 0; k < which.size(); ++k) out[k].image_id = std::to_string(which[k]);
    return out;
  }
};

bool has(const std::vector<size_t>& which, size_t k) { return std::find(which.begin(), which.end(), k) != which.end(); }

TEST(BatchFailure, ABadImageFailsAloneAndTheOthersKeepTheirRecords) {
  FakeRun run{[](const std::vector<size_t>& which) {
    if (has(which, 2)) throw Error("image 2: box 0 is outside the image");
  }};
  const BatchOutcome o = run_batch_isolating_failures(4, std::ref(run));
  ASSERT_EQ(run.calls.size(), 5u);  // the batch, then each image alone
  EXPECT_EQ(run.calls[0], (std::vector<size_t>{0, 1, 2, 3}));
  for (size_t k : {0u, 1u, 3u}) {
    EXPECT_EQ(o.errors[k], "") << k;
    EXPECT_EQ(o.records[k].image_id, std::to_string(k));
  }
  EXPECT_EQ(o.errors[2], "image 2: box 0 is outside the image");
}

TEST(BatchFailure, ABatchTooBigForTheMemoryIsRunImageByImage) {
  FakeRun run{[](const std::vector<size_t>& which) {
    if (which.size() > 1) throw torch_error("CUDA out of memory. Tried to allocate 3.90 GiB");
  }};
  const BatchOutcome o = run_batch_isolating_failures(4, std::ref(run));
  EXPECT_EQ(run.calls.size(), 5u);
  for (size_t k = 0; k < 4; ++k) EXPECT_EQ(o.errors[k], "") << k;
}

TEST(BatchFailure, ADeviceFaultStopsWithoutRetrying) {
  FakeRun run{[](const std::vector<size_t>&) { throw torch_error("CUDA error: an illegal memory access was encountered"); }};
  std::string what;
  try {
    run_batch_isolating_failures(4, std::ref(run));
  } catch (const DeviceFault& e) {
    what = e.what();
  }
  EXPECT_EQ(run.calls.size(), 1u);  // a sticky CUDA error would fail every image of the retry too
  EXPECT_NE(what.find("illegal memory access"), std::string::npos) << what;
  EXPECT_NE(what.find("resume"), std::string::npos) << what;
  EXPECT_EQ(what.find("frame #"), std::string::npos) << what;  // one line, no LibTorch trace
  EXPECT_EQ(what.find('\n'), std::string::npos) << what;
}

TEST(BatchFailure, MemoryThatOneImageCannotGetStopsTheRun) {
  FakeRun run{[](const std::vector<size_t>& which) {
    if (has(which, 1)) throw torch_error("CUDA out of memory. Tried to allocate 9.00 GiB");
  }};
  EXPECT_THROW(run_batch_isolating_failures(4, std::ref(run)), DeviceFault);
  EXPECT_EQ(run.calls.size(), 3u);  // the batch, image 0, image 1: no further images listed as bad
}

}  // namespace
}  // namespace bua
