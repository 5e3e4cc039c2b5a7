// Hostile inputs to the Torch-side readers and the tools (issue #14): duplicate and non-finite Caffe layers at
// import, given boxes out of range or too many, a config directory or out-of-range value, --gpu typos, a
// wrong --format, non-string fields of the VG and COCO image lists. Each once passed silently (or blamed the
// wrong flag); each must now stop with one line naming the file or flag, and write nothing.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "bua/config/arch.h"
#include "bua/dist/gradient_averager.h"
#include "bua/features/given_boxes.h"
#include "bua/features/image_list.h"
#include "bua/io/caffe_model.h"
#include "bua/model/caffe_import.h"
#include "bua/model/detector.h"
#include "bua/model/device.h"
#include "bua/util/log.h"
#include "bua_test_paths.h"
#include "caffe.pb.h"
#include "test_support.h"

namespace fs = std::filesystem;

namespace bua {
namespace {

using bua::testing::error_of;
using bua::testing::run_command;
using bua::testing::TempDir;

const std::string kCaffe = std::string(BUA_TEST_DATA) + "/caffe";
const std::string kArch = std::string(BUA_SOURCE_DIR) + "/configs/reduced_caffe_ref.yml";

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }
std::string bin(const std::string& tool) { return std::string(BUA_BIN_DIR) + "/" + tool; }

struct QuietLog {
  std::ostringstream text;
  QuietLog() { set_log_stream(&text); }
  ~QuietLog() { set_log_stream(nullptr); }
};

// ---- item 7: import_caffemodel ----------------------------------------------------------------------------

class HostileImport : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    torch::set_num_threads(2);
    model_ = new CaffeModel(read_caffemodel(kCaffe + "/weights.caffemodel"));
  }
  static void TearDownTestSuite() { delete model_; }
  static CaffeLayer& layer(CaffeModel& m, const std::string& name) {
    for (auto& l : m.layers)
      if (l.name == name) return l;
    throw std::runtime_error("no layer " + name);
  }
  // Imports `m` into a fresh reduced network; "" or the error.
  static std::string import_error(const CaffeModel& m, Detector* out = nullptr, CaffeImportReport* report = nullptr) {
    Detector net(load_arch(kArch));
    const std::string e = error_of([&] {
      const auto r = import_caffe_weights(net, m, CaffeImportScope::kFull, "w.caffemodel");
      if (report) *report = r;
    });
    if (out) *out = net;
    return e;
  }
  static CaffeModel* model_;
};
CaffeModel* HostileImport::model_ = nullptr;

TEST_F(HostileImport, LastOfTwoLayersWithOneNameWinsAsInCaffe) {
  CaffeModel m = *model_;
  CaffeLayer later = layer(m, "cls_score");
  for (auto& b : later.blobs) std::fill(b.data.begin(), b.data.end(), 0.25f);
  m.layers.push_back(later);
  Detector net(nullptr);
  CaffeImportReport report;
  QuietLog log;
  ASSERT_EQ(import_error(m, &net, &report), "");
  EXPECT_TRUE(torch::all(net->box_head->cls_score->weight == 0.25f).item<bool>());
  EXPECT_TRUE(torch::all(net->box_head->cls_score->bias == 0.25f).item<bool>());
  EXPECT_EQ(report.duplicated_layers, std::vector<std::string>{"cls_score"});
  EXPECT_TRUE(contains(log.text.str(), "w.caffemodel: layer cls_score appears 2 times; its last copy was imported"))
      << log.text.str();
}

TEST_F(HostileImport, DuplicateWithAnotherShapeIsRefusedWhicheverComesFirst) {
  for (bool wrong_first : {false, true}) {
    SCOPED_TRACE(wrong_first);
    CaffeModel m = *model_;
    CaffeLayer wrong = layer(m, "bbox_pred");
    wrong.blobs[1].shape = {wrong.blobs[1].shape[0] - 1};
    wrong.blobs[1].data.pop_back();
    if (wrong_first) m.layers.insert(m.layers.begin(), wrong);
    else m.layers.push_back(wrong);
    const std::string e = import_error(m);
    EXPECT_TRUE(contains(e, "w.caffemodel: Caffe weights do not match the architecture")) << e;
    EXPECT_TRUE(contains(e, std::string("layer bbox_pred (copy ") + (wrong_first ? "1" : "2") + " of 2) blob 1 has shape"))
        << e;
  }
  CaffeModel m = *model_;
  CaffeLayer no_blobs = layer(m, "conv1");
  no_blobs.blobs.clear();
  m.layers.push_back(no_blobs);
  EXPECT_TRUE(contains(import_error(m), "layer conv1 (copy 2 of 2) has 0 blobs, expected 1"));
}

TEST_F(HostileImport, NanAndInfWeightsAreRefusedNamingTheLayer) {
  CaffeModel m = *model_;
  layer(m, "conv1").blobs[0].data[5] = std::numeric_limits<float>::quiet_NaN();
  layer(m, "cls_score").blobs[1].data[0] = std::numeric_limits<float>::infinity();
  layer(m, "cls_score").blobs[1].data[3] = -std::numeric_limits<float>::infinity();
  const std::string e = import_error(m);
  EXPECT_TRUE(contains(e, "layer conv1 blob 0 holds 1 NaN/inf values (the first at element 5)")) << e;
  EXPECT_TRUE(contains(e, "layer cls_score blob 1 holds 2 NaN/inf values (the first at element 0)")) << e;
}

TEST_F(HostileImport, NegativeVarianceFoldingToNanIsRefused) {
  CaffeModel m = *model_;
  auto& var = layer(m, "bn_conv1").blobs[1].data;
  std::fill(var.begin(), var.end(), -1.0f);
  const std::string e = import_error(m);
  EXPECT_TRUE(contains(e, "layers bn_conv1 and scale_conv1 fold to a non-finite scale or shift")) << e;
}

TEST(HostileImportTool, NanWeightsFailTheToolAndWriteNothing) {
  TempDir dir;
  caffe::NetParameter net;
  {
    std::ifstream in(kCaffe + "/weights.caffemodel", std::ios::binary);
    ASSERT_TRUE(net.ParseFromIstream(&in));
  }
  bool changed = false;
  for (auto& l : *net.mutable_layer())
    if (l.name() == "rpn_cls_score") {
      l.mutable_blobs(0)->set_data(2, std::numeric_limits<float>::quiet_NaN());
      changed = true;
    }
  ASSERT_TRUE(changed);
  const std::string weights = dir.file("nan.caffemodel"), out = dir.file("nan.pt");
  {
    std::ofstream o(weights, std::ios::binary);
    ASSERT_TRUE(net.SerializeToOstream(&o));
  }
  const auto r = run_command(bin("import_caffemodel") + " --caffemodel " + weights + " --arch " + kArch +
                             " --objects-vocab " + kCaffe + "/objects_vocab.txt --attributes-vocab " + kCaffe +
                             "/attributes_vocab.txt --out " + out);
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, weights)) << r.output;
  EXPECT_TRUE(contains(r.output, "layer rpn_cls_score blob 0 holds 1 NaN/inf values")) << r.output;
  EXPECT_FALSE(fs::exists(out));
}

// ---- item 8: --boxes -----------------------------------------------------------------------------------------

std::string boxes_error(const std::string& json) {
  TempDir dir;
  const std::string path = dir.file("boxes.json");
  std::ofstream(path) << json;
  return error_of([&] { read_given_boxes(path); });
}

TEST(HostileGivenBoxes, EmptyFileOrImageIsAnErrorNotDetectionMode) {
  EXPECT_TRUE(contains(boxes_error("{}"), "boxes.json: no images")) << boxes_error("{}");
  EXPECT_TRUE(contains(boxes_error(R"({"7": []})"), "boxes.json (image 7): no boxes"));
  EXPECT_TRUE(contains(boxes_error(""), "malformed JSON"));
}

TEST(HostileGivenBoxes, CoordinatesMustBeFiniteOrderedAndSane) {
  std::string e = boxes_error(R"({"7": [[0, 0, 10, 10], [0, 0, 1e39, 5]]})");
  EXPECT_TRUE(contains(e, "boxes.json (image 7): box 1: coordinate 1e+39 is outside [-1e6, 1e6]")) << e;
  e = boxes_error(R"({"7": [[10, 0, 5, 10]]})");
  EXPECT_TRUE(contains(e, "box 0: x2 < x1")) << e;
  e = boxes_error(R"({"7": [[0, 10, 5, 5]]})");
  EXPECT_TRUE(contains(e, "box 0: y2 < y1")) << e;
  e = boxes_error(R"({"7": [[0, 0, 5, "5"]]})");
  EXPECT_TRUE(contains(e, "coordinates must be numbers")) << e;
  // Within the bounds, as floats.
  TempDir dir;
  std::ofstream(dir.file("ok.json")) << R"({"7": [[-3, 0.5, 1000000, 2]]})";
  const auto boxes = read_given_boxes(dir.file("ok.json"));
  ASSERT_EQ(boxes.count("7"), 1u);
  EXPECT_TRUE(torch::equal(boxes.at("7"), torch::tensor({-3.0f, 0.5f, 1e6f, 2.0f}).view({1, 4})));
}

TEST(HostileGivenBoxes, BoxesPerImageAreBounded) {
  std::string many = R"({"big": [)";
  for (size_t i = 0; i <= kMaxGivenBoxesPerImage; ++i) many += std::string(i ? "," : "") + "[0,0,1,1]";
  many += "]}";
  const std::string e = boxes_error(many);
  EXPECT_TRUE(contains(e, "(image big): 10001 boxes, more than the 10000 allowed per image")) << e;
}

// ---- item 17: --gpu, image lists ----------------------------------------------------------------------------

TEST(HostileFlags, GpuListProblemsNameGpuNotDevice) {
  for (const auto& [text, problem] : std::vector<std::pair<std::string, std::string>>{
           {"0,,x", "--gpu: empty item in '0,,x'"},
           {"0,", "--gpu: empty item"},
           {"0,x", "--gpu: 'x' is not a GPU index"},
           {"0,cuda:1", "--gpu: 'cuda:1' is not a GPU index"},
           {"-1", "--gpu: '-1' is not a GPU index"},
           {"1,1", "--gpu: GPU 1 appears twice"},
       }) {
    const std::string e = error_of([&] { parse_gpu_list(text); });
    EXPECT_TRUE(contains(e, problem)) << text << ": " << e;
  }
  EXPECT_TRUE(parse_gpu_list("").empty());
  if (!torch::cuda::is_available()) {
    EXPECT_TRUE(contains(error_of([] { parse_gpu_list("0,1"); }), "--gpu: '0,1' asked for, but no CUDA device"));
  } else {
    const auto gpus = parse_gpu_list("0");
    ASSERT_EQ(gpus.size(), 1u);
    EXPECT_EQ(gpus[0], torch::Device(torch::kCUDA, 0));
  }
}

TEST(HostileImageLists, NonStringUrlOrFileNameNamesTheFileAndImage) {
  TempDir dir;
  const std::string vg = dir.file("image_data.json"), coco = dir.file("coco.json");
  std::ofstream(vg) << R"([{"image_id": 1, "url": "http://x/VG_100K/1.jpg"}, {"image_id": 2, "url": 5}])";
  std::ofstream(coco) << R"({"images": [{"id": 3, "file_name": "a.jpg"}, {"id": 4, "file_name": null}]})";
  std::string e = error_of([&] { vg_image_entries(vg, "root"); });
  EXPECT_TRUE(contains(e, vg + " (image 2): 'url' is not a string (got number)")) << e;
  e = error_of([&] { coco_image_entries(coco, "root"); });
  EXPECT_TRUE(contains(e, coco + " (images[1]): 'file_name' is not a string (got null)")) << e;
}

// ---- the tools: bad values stop the run before any image --------------------------------------------------

class HostileExtract : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    fs::create_directories(dir_->path() / "images");
    fs::copy_file(kCaffe + "/messi5.jpg", dir_->path() / "images" / "messi5.jpg");
    ckpt_ = dir_->file("reduced.pt");
    const auto r = run_command(bin("import_caffemodel") + " --caffemodel " + kCaffe + "/weights.caffemodel --arch " +
                               kArch + " --objects-vocab " + kCaffe + "/objects_vocab.txt --attributes-vocab " +
                               kCaffe + "/attributes_vocab.txt --out " + ckpt_);
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  static void TearDownTestSuite() { delete dir_; }
  // generate_tsv on the one image; the output must not appear when the run is refused.
  static bua::testing::CommandResult generate(const std::string& args) {
    const std::string out = dir_->file("out.tsv");
    auto r = run_command(bin("generate_tsv") + " --net " + ckpt_ + " --images " + (dir_->path() / "images").string() +
                         " --out " + out + " " + args);
    EXPECT_FALSE(fs::exists(out)) << args;
    return r;
  }
  static TempDir* dir_;
  static std::string ckpt_;
};
TempDir* HostileExtract::dir_ = nullptr;
std::string HostileExtract::ckpt_;

TEST_F(HostileExtract, GivenBoxesAreValidatedBeforeExtraction) {
  const std::string empty = dir_->file("empty_boxes.json"), huge = dir_->file("huge_boxes.json");
  std::ofstream(empty) << "{}";
  std::ofstream(huge) << R"({"messi5": [[0, 0, 1e39, 10]]})";
  auto r = generate("--boxes " + empty);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(contains(r.output, empty + ": no images")) << r.output;
  r = generate("--boxes " + huge);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(contains(r.output, "(image messi5): box 0: coordinate 1e+39 is outside")) << r.output;
}

TEST_F(HostileExtract, ConfigDirectoryAndOutOfRangeValuesStopTheRun) {
  auto r = generate("--cfg " + dir_->path().string());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(contains(r.output, dir_->path().string() + ": is a directory, not a config file")) << r.output;
  for (const std::string& set : {"TEST.NMS .nan", "TEST.SCALES [0]", "TEST.SCALES [-600]", "TEST.MAX_SIZE 0"}) {
    r = generate("--set " + set);
    EXPECT_NE(r.exit_code, 0) << set;
    EXPECT_TRUE(contains(r.output, "config key " + set.substr(0, set.find(' ')))) << r.output;
    EXPECT_TRUE(contains(r.output, "out of range")) << r.output;
  }
}

// Checked before the network loads: with a checkpoint that is not one, the flags are still what is blamed.
TEST_F(HostileExtract, MinBoxesAboveMaxBoxesIsRefusedNamingBoth) {
  const std::string not_a_checkpoint = dir_->file("not_a_checkpoint.pt");
  std::ofstream(not_a_checkpoint) << "not a checkpoint";
  const auto r = run_command(bin("generate_tsv") + " --net " + not_a_checkpoint + " --images " +
                             (dir_->path() / "images").string() + " --out " + dir_->file("refused.tsv") +
                             " --min-boxes 50 --max-boxes 10");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(contains(r.output, "--min-boxes 50 --max-boxes 10")) << r.output;
  EXPECT_FALSE(contains(r.output, "not_a_checkpoint")) << r.output;
  EXPECT_FALSE(fs::exists(dir_->file("refused.tsv")));
  EXPECT_NE(generate("--min-boxes -1").exit_code, 0);
  EXPECT_NE(generate("--conf-thresh 1.5").exit_code, 0);
}

// fp32, the exact mode, gives the same features on every run on a GPU too: deterministic cuDNN algorithms, no
// benchmark (issue #24). The policy is set on the CPU as on a GPU; only cuDNN reads it.
TEST(CudnnPolicy, Fp32IsDeterministicAndBf16MayBenchmark) {
  use_cudnn_policy(torch::kFloat, "auto");
  EXPECT_FALSE(at::globalContext().benchmarkCuDNN());
  EXPECT_TRUE(at::globalContext().deterministicCuDNN());
  use_cudnn_policy(torch::kBFloat16, "auto");
  EXPECT_TRUE(at::globalContext().benchmarkCuDNN());
  EXPECT_FALSE(at::globalContext().deterministicCuDNN());
  use_cudnn_policy(torch::kBFloat16, "off");
  EXPECT_FALSE(at::globalContext().benchmarkCuDNN());
  EXPECT_TRUE(at::globalContext().deterministicCuDNN());
  EXPECT_NE(error_of([] { use_cudnn_policy(torch::kFloat, "on"); }).find("--cudnn-benchmark on --dtype fp32"),
            std::string::npos);
  EXPECT_NE(error_of([] { use_cudnn_policy(torch::kFloat, "yes"); }).find("--cudnn-benchmark"), std::string::npos);
}

// Each rank of a multi-GPU run takes the GPU of its LOCAL_RANK, and one the machine lacks is refused by name.
TEST(RankDevice, LocalRankPicksTheGpuAndMustExist) {
  DistEnv env;
  env.world_size = 4, env.rank = 3, env.local_rank = 1;
  EXPECT_EQ(device_of_rank(torch::Device("cuda"), env, 2), torch::Device("cuda:1"));
  EXPECT_EQ(device_of_rank(torch::Device("cpu"), env, 0), torch::Device("cpu"));
  env.local_rank = 2;
  const std::string e = error_of([&] { device_of_rank(torch::Device("cuda"), env, 2); });
  EXPECT_NE(e.find("LOCAL_RANK: 2 needs GPU 2, but this machine has 2 visible"), std::string::npos) << e;
  DistEnv one;  // a single process keeps the device it was given
  EXPECT_EQ(device_of_rank(torch::Device("cuda:1"), one, 2), torch::Device("cuda:1"));
}

TEST_F(HostileExtract, BenchmarkedCudnnIsRefusedInTheExactMode) {
  const auto r = generate("--cudnn-benchmark on");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(contains(r.output, "--cudnn-benchmark on --dtype fp32: fp32 is the exact mode")) << r.output;
}

TEST_F(HostileExtract, FlagTyposBlameTheFlagGiven) {
  auto r = generate("--format xml");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(contains(r.output, "--format")) << r.output;
  EXPECT_FALSE(contains(r.output, "--convert-to")) << r.output;
  r = generate("--gpu 0,,x");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(contains(r.output, "--gpu: empty item")) << r.output;
  EXPECT_FALSE(contains(r.output, "--device")) << r.output;
}

}  // namespace
}  // namespace bua
