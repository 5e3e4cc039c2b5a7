// Parity with the original Caffe network: tests/data/caffe holds a reduced copy of the released net (same layer
// types, names and conventions), its weights, and every intermediate blob the original code produced for one
// photo (README in that folder). Each stage is fed the original's own inputs and compared with its outputs,
// then the whole pipeline runs end to end from the JPEG.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "bua/config/arch.h"
#include "bua/features/select.h"
#include "bua/image/image.h"
#include "bua/io/caffe_model.h"
#include "bua/io/npy.h"
#include "bua/model/caffe_import.h"
#include "bua/model/checkpoint.h"
#include "bua/model/detector.h"
#include "bua/model/inference.h"
#include "bua/viz/labels.h"
#include "bua_test_paths.h"
#include "caffe_reference.h"

namespace bua {
namespace {

const std::string kDir = std::string(BUA_TEST_DATA) + "/caffe";
const std::vector<double> kMeans{102.9801, 115.9465, 122.7717};

using testing::expect_abs;
using testing::expect_rel;
torch::Tensor blob(const std::string& name) { return testing::caffe_blob(name); }

class CaffeParity : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    torch::set_num_threads(2);
    net_ = new Detector(load_arch(std::string(BUA_SOURCE_DIR) + "/configs/reduced_caffe_ref.yml"));
    import_caffe_weights(*net_, read_caffemodel(kDir + "/weights.caffemodel"), CaffeImportScope::kFull, "weights");
    (*net_)->eval();
    scale_ = image_scale(342, 548, 400, 700);  // the float64 im_scale; im_info holds it rounded to float32
  }
  static void TearDownTestSuite() { delete net_; }
  Detector& net() { return *net_; }
  static Detector* net_;
  static double scale_;
  torch::NoGradGuard no_grad_;
};
Detector* CaffeParity::net_ = nullptr;
double CaffeParity::scale_ = 0;

TEST_F(CaffeParity, LegacyFormatGivesTheSameNetwork) {
  Detector legacy(load_arch(std::string(BUA_SOURCE_DIR) + "/configs/reduced_caffe_ref.yml"));
  import_caffe_weights(legacy, read_caffemodel(kDir + "/weights_legacy.caffemodel"), CaffeImportScope::kFull, "legacy");
  const auto a = net()->named_parameters(), b = legacy->named_parameters();
  for (const auto& p : a) EXPECT_TRUE(torch::equal(p.value(), b[p.key()])) << p.key();
  for (const auto& p : net()->named_buffers()) EXPECT_TRUE(torch::equal(p.value(), legacy->named_buffers()[p.key()])) << p.key();
}

TEST_F(CaffeParity, Preprocessing) {
  const auto im = prepare_image(read_image(kDir + "/messi5.jpg"), kMeans, 400, 700);
  EXPECT_DOUBLE_EQ(im.scale, 400.0 / 342.0);
  EXPECT_EQ(im.image_h, 342);
  EXPECT_EQ(im.image_w, 548);
  const auto info = blob("im_info");
  EXPECT_EQ(im.blob_h(), info[0][0].item<float>());
  EXPECT_EQ(im.blob_w(), info[0][1].item<float>());
  EXPECT_EQ(static_cast<float>(im.scale), info[0][2].item<float>());
  expect_abs(im.blob, blob("data"), 1e-3, "data blob");
}

TEST_F(CaffeParity, TrunkAndRpn) {
  const auto res4 = net()->features(blob("data"));
  expect_rel(res4, blob("res4_out"), 1e-4, "res4_out");
  const auto r = net()->rpn->forward(blob("res4_out"));
  expect_abs(r.probs, blob("rpn_cls_prob_reshape"), 1e-5, "rpn_cls_prob_reshape");
  expect_rel(r.deltas, blob("rpn_bbox_pred"), 1e-4, "rpn_bbox_pred");
}

TEST_F(CaffeParity, ProposalLayerIsExact) {
  RpnOutput r;
  r.probs = blob("rpn_cls_prob_reshape");
  r.deltas = blob("rpn_bbox_pred");
  const auto info = blob("im_info");
  const auto p = net()->propose(r, info[0][0].item<double>(), info[0][1].item<double>(), info[0][2].item<float>(),
                                ProposalOptions());
  const auto rois = blob("rois");
  ASSERT_EQ(p.boxes.size(0), rois.size(0));
  EXPECT_TRUE(torch::equal(p.boxes, rois.narrow(1, 1, 4))) << "max diff "
                                                             << (p.boxes - rois.narrow(1, 1, 4)).abs().max();
  EXPECT_TRUE(torch::equal(p.scores, blob("rpn_roi_scores")));
}

TEST_F(CaffeParity, RoiPoolingAndHeads) {
  const auto res4 = blob("res4_out"), rois = blob("rois");
  const auto pooled = net()->pool(res4, rois);
  expect_rel(pooled.index_select(0, blob("roipool5_index")), blob("roipool5"), 1e-4, "roipool5");
  const auto h = net()->heads(pooled);
  expect_rel(h.pool5, blob("pool5_flat"), 1e-4, "pool5_flat");
  expect_rel(h.cls_score, blob("cls_score"), 1e-4, "cls_score");
  expect_abs(h.cls_prob, blob("cls_prob"), 1e-5, "cls_prob");
  expect_rel(h.bbox_pred, blob("bbox_pred"), 1e-4, "bbox_pred");
  expect_abs(h.attr_prob, blob("attr_prob"), 1e-5, "attr_prob");
}

TEST_F(CaffeParity, GivenBoxes) {
  const auto given = blob("given_boxes");
  const auto rois = rois_from_boxes(given, scale_);
  EXPECT_TRUE(torch::equal(rois, blob("given_rois")));
  const auto pooled = net()->pool(blob("res4_out"), rois);
  expect_rel(pooled, blob("given_roipool5"), 1e-4, "given_roipool5");
  const auto h = net()->heads(pooled);
  expect_rel(h.pool5, blob("given_pool5_flat"), 1e-4, "given_pool5_flat");
  expect_abs(h.cls_prob, blob("given_cls_prob"), 1e-5, "given_cls_prob");
  expect_rel(h.bbox_pred, blob("given_bbox_pred"), 1e-4, "given_bbox_pred");
  expect_abs(h.attr_prob, blob("given_attr_prob"), 1e-5, "given_attr_prob");
}

// The path generate_tsv takes on the CPU: the affine folded into each convolution, res5 in small per-image chunks.
TEST_F(CaffeParity, ExtractionPathOnTheCpu) {
  Detector net(load_arch(std::string(BUA_SOURCE_DIR) + "/configs/reduced_caffe_ref.yml"));
  import_caffe_weights(net, read_caffemodel(kDir + "/weights.caffemodel"), CaffeImportScope::kFull, "weights");
  InferenceOptions o;
  prepare_for_inference(net, torch::kFloat, o);
  ASSERT_LT(o.max_rois_per_chunk, 300);  // the 300 ROIs run in several chunks
  const auto h = run_heads(net, net->pool(blob("res4_out"), blob("rois")), o);
  expect_rel(h.pool5, blob("pool5_flat"), 1e-4, "pool5_flat");
  expect_abs(h.cls_prob, blob("cls_prob"), 1e-5, "cls_prob");
  expect_rel(h.bbox_pred, blob("bbox_pred"), 1e-4, "bbox_pred");
  expect_abs(h.attr_prob, blob("attr_prob"), 1e-5, "attr_prob");
  // From the JPEG with the given boxes, through detect().
  const auto im = prepare_image(read_image(kDir + "/messi5.jpg"), kMeans, 400, 700);
  const auto d = detect(net, {im}, o, {blob("given_boxes")}).at(0);
  expect_rel(d.pool5, blob("given_pool5_flat"), 1e-3, "given_pool5_flat");
  expect_abs(d.cls_prob, blob("given_cls_prob"), 1e-4, "given_cls_prob");
}

TEST_F(CaffeParity, BoxSelectionIsExact) {
  const auto rois = blob("rois");
  const auto boxes = rois.narrow(1, 1, 4) / torch::full({rois.size(0), 4}, static_cast<float>(scale_));
  EXPECT_TRUE(torch::equal(boxes, blob("boxes_all")));
  for (auto [lo, hi] : std::vector<std::pair<int, int>>{{10, 100}, {36, 36}, {2, 5}}) {
    SelectionOptions o;
    o.min_boxes = lo;
    o.max_boxes = hi;
    const auto s = select_boxes(blob("boxes_all"), blob("cls_prob"), o);
    EXPECT_TRUE(torch::equal(s.max_conf, blob("max_conf")));
    const std::string tag = "sel_" + std::to_string(lo) + "_" + std::to_string(hi);
    EXPECT_TRUE(torch::equal(s.keep, blob(tag + "_keep"))) << tag;
    EXPECT_TRUE(torch::equal(blob("boxes_all").index_select(0, s.keep), blob(tag + "_boxes"))) << tag;
  }
}

// The demo notebook's labels of the selected and the given boxes (labels.json).
TEST_F(CaffeParity, DemoLabels) {
  std::ifstream in(kDir + "/messi5/labels.json");
  const auto labels = nlohmann::json::parse(in);
  const auto classes = read_vocab_file(kDir + "/objects_vocab.txt", "__background__");
  const auto attributes = read_vocab_file(kDir + "/attributes_vocab.txt", "__no_attribute__");
  for (const std::string set : {"sel_10_100", "sel_36_36", "sel_2_5", "given"}) {
    const bool given = set == "given";
    torch::Tensor cls = blob(given ? "given_cls_prob" : "cls_prob"), attr = blob(given ? "given_attr_prob" : "attr_prob");
    if (!given) {
      const auto keep = blob(set + "_keep");
      cls = cls.index_select(0, keep), attr = attr.index_select(0, keep);
    }
    const auto ours = region_labels(cls, attr, classes, attributes, 0.1);
    ASSERT_EQ(ours.size(), labels[set].size()) << set;
    for (size_t i = 0; i < ours.size(); ++i) {
      const auto& want = labels[set][i];
      EXPECT_EQ(ours[i].object, want["object"].get<int64_t>()) << set << " " << i;
      EXPECT_EQ(ours[i].attribute, want["attribute"].get<int64_t>()) << set << " " << i;
      EXPECT_FLOAT_EQ(ours[i].object_conf, want["object_conf"].get<float>()) << set << " " << i;
      EXPECT_EQ(ours[i].label, want["label"].get<std::string>()) << set << " " << i;
    }
  }
}

TEST_F(CaffeParity, EndToEndFromTheJpeg) {
  InferenceOptions o;
  const auto im = prepare_image(read_image(kDir + "/messi5.jpg"), kMeans, 400, 700);
  const auto d = detect(net(), {im}, o).at(0);
  // Proposals as a set, within 1e-3 px (near-tied scores may swap neighbours).
  const auto rois = blob("rois").narrow(1, 1, 4);
  ASSERT_EQ(d.rois.size(0), rois.size(0));
  const auto dist = (d.rois.narrow(1, 1, 4).unsqueeze(1) - rois.unsqueeze(0)).abs().amax(2);  // [R,R]
  EXPECT_LE(std::get<0>(dist.min(1)).max().item<float>(), 1e-3);
  EXPECT_LE(std::get<0>(dist.min(0)).max().item<float>(), 1e-3);
  for (auto [lo, hi] : std::vector<std::pair<int, int>>{{10, 100}, {36, 36}, {2, 5}}) {
    SelectionOptions so;
    so.min_boxes = lo;
    so.max_boxes = hi;
    const auto s = select_boxes(d.boxes, d.cls_prob, so);
    const std::string tag = "sel_" + std::to_string(lo) + "_" + std::to_string(hi);
    const auto want = blob(tag + "_boxes");
    const auto got = d.boxes.index_select(0, s.keep);
    ASSERT_EQ(got.sizes(), want.sizes()) << tag;
    EXPECT_LE((got - want).abs().max().item<float>(), 1e-3) << tag;
    // The features written with those boxes.
    const auto feats = d.pool5.index_select(0, s.keep);
    const auto ref_feats = blob("pool5_flat").index_select(0, blob(tag + "_keep"));
    expect_rel(feats, ref_feats, 1e-3, tag + " features");
  }
}

}  // namespace
}  // namespace bua
