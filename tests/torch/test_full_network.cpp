// The full-size released architecture (configs/resnet101_vg.yml: ResNet-101, 1601 classes, 401 attributes)
// builds, loads its own checkpoint and runs end to end on the CPU, with random weights at a small image size.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "bua/config/arch.h"
#include "bua/features/select.h"
#include "bua/model/checkpoint.h"
#include "bua/model/inference.h"
#include "bua_test_paths.h"

namespace bua {
namespace {

TEST(FullNetwork, ResNet101RunsOnCpu) {
  const ArchConfig arch = load_arch(std::string(BUA_SOURCE_DIR) + "/configs/resnet101_vg.yml");
  torch::manual_seed(0);
  Detector net(arch);
  int64_t params = 0;
  for (const auto& p : net->parameters()) params += p.numel();
  // ResNet-101 C4 trunk + res5 + RPN + heads: about 67 million parameters.
  EXPECT_GT(params, 60'000'000);
  EXPECT_LT(params, 75'000'000);
  EXPECT_EQ(net->trunk->blocks.size(), 3u + 4u + 23u);
  EXPECT_EQ(net->trunk->blocks.back().first, "res4b22");

  // Round trip through a checkpoint.
  Checkpoint c;
  c.arch = arch;
  c.state = state_of(*net);
  for (int i = 0; i < arch.num_classes; ++i) c.classes.push_back("c" + std::to_string(i));
  for (int i = 0; i < arch.num_attributes; ++i) c.attributes.push_back("a" + std::to_string(i));
  const auto path = (std::filesystem::temp_directory_path() / ("bua_full_" + std::to_string(getpid()) + ".pt")).string();
  save_checkpoint(c, path);
  auto loaded = load_model(path, torch::kCPU);
  std::filesystem::remove(path);

  cv::Mat im(96, 128, CV_8UC3);
  cv::randu(im, 0, 255);
  const auto prepared = prepare_image(im, {102.9801, 115.9465, 122.7717}, 128, 200);
  InferenceOptions o;
  o.proposals.post_nms_top_n(50);
  const auto d = detect(loaded.detector, {prepared}, o).at(0);
  const int64_t r = d.rois.size(0);
  ASSERT_GT(r, 0);
  EXPECT_EQ(d.pool5.sizes(), (std::vector<int64_t>{r, 2048}));
  EXPECT_EQ(d.cls_prob.sizes(), (std::vector<int64_t>{r, 1601}));
  EXPECT_EQ(d.bbox_pred.sizes(), (std::vector<int64_t>{r, 6404}));
  EXPECT_EQ(d.attr_prob.sizes(), (std::vector<int64_t>{r, 401}));
  EXPECT_TRUE(torch::allclose(d.cls_prob.sum(1), torch::ones({r}), 1e-4, 1e-5));
  const auto s = select_boxes(d.boxes, d.cls_prob, SelectionOptions());
  EXPECT_EQ(s.keep.size(0), std::min<int64_t>(r, 10));  // random weights: nothing reaches 0.2, the MIN clamp
}

}  // namespace
}  // namespace bua
