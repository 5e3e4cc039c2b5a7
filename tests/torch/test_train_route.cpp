// The README's Visual Genome route, on a small architecture: import_caffemodel --trunk-only of an ImageNet-style
// model, then train_net --weights. The new layers must start from train.prototxt's fillers (gaussian std 0.01,
// zero biases) and the trunk from the import, as the original's net.copy_from does; the filler table itself
// is held to train.prototxt.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>

#include "bua/config/arch.h"
#include "bua/io/caffe_model.h"
#include "bua/model/caffe_import.h"
#include "bua/model/checkpoint.h"
#include "bua/train/initial_model.h"
#include "bua/train/weight_init.h"
#include "bua_test_paths.h"
#include "synth_vg_data.h"
#include "test_support.h"

namespace fs = std::filesystem;

namespace bua {
namespace {

using testing::run_command;
using testing::TempDir;

std::string tail_of(const std::string& s, size_t n = 4000) { return s.size() > n ? s.substr(s.size() - n) : s; }

// What models/vg/ResNet-101/faster_rcnn_end2end_final/train.prototxt gives the layers it adds to ResNet-101.
struct PrototxtFiller {
  std::string caffe_name, module;
  double std;
};
const std::vector<PrototxtFiller> kTrainPrototxt = {
    {"rpn_conv/3x3", "rpn.conv", 0.01},          {"rpn_cls_score", "rpn.cls_score", 0.01},
    {"rpn_bbox_pred", "rpn.bbox_pred", 0.01},    {"cls_score", "box_head.cls_score", 0.01},
    {"bbox_pred", "box_head.bbox_pred", 0.01},   {"cls_embedding", "attr_head.cls_embedding", 0.01},
    {"fc_attr", "attr_head.fc_attr", 0.01},      {"attr_score", "attr_head.attr_score", 0.01},
};

// Each new layer of `state` holds N(0, std) weights — sample mean and std within 5 standard errors, which a
// LibTorch default (kaiming-uniform, N(0, 1) embeddings) misses by far — and zero biases.
void expect_fillers(const std::map<std::string, torch::Tensor>& state, const std::string& where) {
  for (const auto& f : kTrainPrototxt) {
    const auto w = state.at(f.module + ".weight").to(torch::kDouble);
    const double n = static_cast<double>(w.numel());
    const double mean = w.mean().item<double>(), sd = w.std().item<double>();
    EXPECT_LT(std::abs(mean), 5 * f.std / std::sqrt(n)) << where << ": " << f.module << " mean " << mean;
    EXPECT_LT(std::abs(sd / f.std - 1), 5 / std::sqrt(2 * n)) << where << ": " << f.module << " std " << sd;
    auto b = state.find(f.module + ".bias");
    if (b != state.end()) EXPECT_EQ(b->second.abs().max().item<double>(), 0.0) << where << ": " << f.module << " bias";
  }
}

TEST(NewLayerFillers, MatchTrainPrototxt) {
  const auto& table = new_layer_fillers();
  ASSERT_EQ(table.size(), kTrainPrototxt.size());
  for (size_t i = 0; i < table.size(); ++i) {
    EXPECT_EQ(table[i].caffe_name, kTrainPrototxt[i].caffe_name);
    EXPECT_EQ(table[i].module, kTrainPrototxt[i].module);
    EXPECT_EQ(table[i].weight_std, kTrainPrototxt[i].std) << table[i].caffe_name;
  }
  // Every tensor outside the ImageNet trunk belongs to a layer of the table.
  Detector d(load_arch(std::string(BUA_SOURCE_DIR) + "/configs/reduced_caffe_ref.yml"));
  for (const auto& [name, t] : state_of(*d)) {
    const bool trunk = name.rfind("trunk.", 0) == 0 || name.rfind("res5.", 0) == 0;
    EXPECT_NE(trunk, is_new_layer_tensor(name)) << name;
  }
  init_head_weights(d, 3);
  expect_fillers(state_of(*d), "init_head_weights");
  // A function of the seed.
  Detector again(d->arch()), other(d->arch());
  init_head_weights(again, 3);
  init_head_weights(other, 4);
  EXPECT_TRUE(torch::equal(again->rpn->conv->weight, d->rpn->conv->weight));
  EXPECT_FALSE(torch::equal(other->rpn->conv->weight, d->rpn->conv->weight));
}

// Weights that lack a trunk tensor would leave it random and frozen: refused, naming the file and the tensor.
TEST(ReadmeRoute, WeightsMissingATrunkTensorAreRefused) {
  TempDir dir;
  Checkpoint c;
  c.arch = load_arch(std::string(BUA_SOURCE_DIR) + "/configs/tiny_test.yml");
  for (int i = 0; i < c.arch.num_classes; ++i) c.classes.push_back("c" + std::to_string(i));
  for (int i = 0; i < c.arch.num_attributes; ++i) c.attributes.push_back("a" + std::to_string(i));
  Detector d(c.arch);
  c.state = state_of(*d);
  c.state.erase("trunk.res3a.branch2b.conv.weight");
  const std::string path = dir.file("partial.pt");
  save_checkpoint(c, path);
  InitialModelOptions init;
  init.weights = path;
  const std::string e = testing::error_of([&] { initial_training_model(init, c.classes, c.attributes); });
  EXPECT_EQ(e.rfind(path + ": has no trunk.res3a.branch2b.conv.weight", 0), 0u) << e;
  // From scratch, the same weights are a partial start.
  init.from_scratch = true;
  EXPECT_EQ(testing::error_of([&] { initial_training_model(init, c.classes, c.attributes); }), "");
}

TEST(ReadmeRoute, TrunkOnlyImportThenTrainNet) {
  TempDir dir;
  const std::string bin = BUA_BIN_DIR, src = BUA_SOURCE_DIR, data = dir.file("data");
  const std::string caffe = std::string(BUA_TEST_DATA) + "/caffe", arch = src + "/configs/reduced_caffe_ref.yml";
  ASSERT_TRUE(bua::testing::make_synth_vg_data(data, 20, 3));

  // 1. import_caffemodel --trunk-only: the checkpoint holds the trunk alone, as the ImageNet caffemodel does.
  const std::string trunk = dir.file("imagenet_trunk.pt");
  auto r = run_command(bin + "/import_caffemodel --trunk-only --caffemodel " + caffe + "/weights.caffemodel --arch " +
                       arch + " --objects-vocab " + caffe + "/objects_vocab.txt --attributes-vocab " + caffe +
                       "/attributes_vocab.txt --out " + trunk);
  ASSERT_EQ(r.exit_code, 0) << tail_of(r.output);
  const Checkpoint imported = load_checkpoint(trunk);
  Detector full(load_arch(arch));
  import_caffe_weights(full, read_caffemodel(caffe + "/weights.caffemodel"), CaffeImportScope::kFull, "weights");
  const auto reference = state_of(*full);
  size_t trunk_tensors = 0;
  for (const auto& [name, t] : reference) {
    if (is_new_layer_tensor(name)) {
      EXPECT_EQ(imported.state.count(name), 0u) << name;
      continue;
    }
    ++trunk_tensors;
    ASSERT_EQ(imported.state.count(name), 1u) << name;
    EXPECT_TRUE(torch::equal(imported.state.at(name), t)) << name;
  }
  EXPECT_EQ(imported.state.size(), trunk_tensors);

  // 2. The model train_net --weights starts from: the import's trunk, the fillers in every new layer.
  const auto vocab = [&](const char* k, const char* first) {
    return read_vocab_file(data + "/genome/synth/" + k + "_vocab.txt", first);
  };
  InitialModelOptions init;
  init.weights = trunk;
  init.seed = 3;
  const Checkpoint start =
      initial_training_model(init, vocab("objects", "__background__"), vocab("attributes", "__no_attribute__"));
  for (const auto& [name, t] : imported.state) EXPECT_TRUE(torch::equal(start.state.at(name), t)) << name;
  expect_fillers(start.state, "initial model");

  // 3. train_net --weights runs end to end (the README's solver and config, a few iterations).
  r = run_command(bin + "/train_net --imdb vg_synth_train --data-dir " + data + " --weights " + trunk +
                  " --iters 3 --cfg " + src + "/experiments/cfgs/synth_vg_quickstart.yml --solver " + src +
                  "/experiments/solvers/faster_rcnn_end2end_final.yml --output " + dir.file("train"));
  ASSERT_EQ(r.exit_code, 0) << tail_of(r.output);
  EXPECT_NE(r.output.find("initialised: attr_head.attr_score, attr_head.cls_embedding, attr_head.fc_attr, "
                          "box_head.bbox_pred, box_head.cls_score, rpn.bbox_pred, rpn.cls_score, rpn.conv"),
            std::string::npos)
      << tail_of(r.output);
  const Checkpoint snap = load_checkpoint(dir.file("train") + "/bua_faster_rcnn_iter_3.pt");
  EXPECT_EQ(snap.iteration, 3);
  // The original's frozen layers are still the import; the layers that train have moved.
  for (const auto& [name, t] : imported.state) {
    const bool frozen = name.rfind("trunk.conv1.", 0) == 0 || name.rfind("trunk.res2", 0) == 0 ||
                        name.rfind("trunk.res3", 0) == 0 || name.rfind("trunk.res4a.branch1.", 0) == 0 ||
                        name.find(".scale") != std::string::npos || name.find(".bias") != std::string::npos;
    if (frozen) EXPECT_TRUE(torch::equal(snap.state.at(name), t)) << name;
  }
  EXPECT_FALSE(torch::equal(snap.state.at("trunk.res4a.branch2a.conv.weight"),
                            imported.state.at("trunk.res4a.branch2a.conv.weight")));
  EXPECT_FALSE(torch::equal(snap.state.at("rpn.conv.weight"), start.state.at("rpn.conv.weight")));
}

}  // namespace
}  // namespace bua
