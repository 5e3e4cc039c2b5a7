// The feature tools end to end, as a user runs them: import_caffemodel on the reference Caffe net, then
// generate_tsv in each mode, resume, bad inputs, and the checks on what lands on disk.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "bua/io/npy.h"
#include "bua/io/tsv.h"
#include "bua/model/checkpoint.h"
#include "bua_test_paths.h"
#include "test_support.h"

namespace fs = std::filesystem;

namespace bua {
namespace {

const std::string kCaffe = std::string(BUA_TEST_DATA) + "/caffe";

using bua::testing::run_command;

// A tool run: exit code and its output (stdout and stderr).
struct Result {
  int code;
  std::string output;
};

Result run(const std::string& cmd) {
  const auto r = run_command(cmd);
  return {r.exit_code, r.output};
}

std::string bin(const std::string& tool) { return std::string(BUA_BIN_DIR) + "/" + tool; }

class ExtractTools : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("bua_extract_" + std::to_string(getpid()));
    fs::create_directories(dir_ / "images");
    fs::copy_file(kCaffe + "/messi5.jpg", dir_ / "images" / "messi5.jpg");
    ckpt_ = (dir_ / "reduced.pt").string();
    const auto r = run(bin("import_caffemodel") + " --caffemodel " + kCaffe + "/weights.caffemodel --arch " +
                       BUA_SOURCE_DIR + "/configs/reduced_caffe_ref.yml --objects-vocab " + kCaffe +
                       "/objects_vocab.txt --attributes-vocab " + kCaffe + "/attributes_vocab.txt --out " + ckpt_);
    ASSERT_EQ(r.code, 0) << r.output;
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }

  // generate_tsv with the reference run's config (TEST.SCALES 400, MAX_SIZE 700).
  static Result generate(const std::string& args) {
    return run(bin("generate_tsv") + " --net " + ckpt_ + " --set TEST.SCALES [400] TEST.MAX_SIZE 700 " + args);
  }

  static std::vector<FeatureRecord> read_all(const std::string& path) {
    TsvReader reader(path);
    std::vector<FeatureRecord> rows;
    FeatureRecord r;
    while (reader.next(r)) rows.push_back(r);
    return rows;
  }

  static torch::Tensor blob(const std::string& name) {
    const auto a = read_npy(kCaffe + "/messi5/" + name + ".npy");
    return torch::tensor(a.as_float()).view(a.shape);
  }

  static fs::path dir_;
  static std::string ckpt_;
};
fs::path ExtractTools::dir_;
std::string ExtractTools::ckpt_;

TEST_F(ExtractTools, CheckpointCarriesArchAndVocabularies) {
  const auto c = load_checkpoint(ckpt_);
  EXPECT_EQ(c.arch.num_classes, 21);
  ASSERT_EQ(c.classes.size(), 21u);
  EXPECT_EQ(c.classes[0], "__background__");
  EXPECT_EQ(c.attributes.size(), 11u);
}

// "Load from Python with one call": torch.load gives a dict with the weights, arch and vocabularies.
TEST_F(ExtractTools, CheckpointLoadsInPythonWithOneCall) {
  if (run("/usr/bin/python3 -c 'import torch'").code != 0) GTEST_SKIP() << "no python3 with torch here";
  const auto r = run("/usr/bin/python3 -c \"import torch; d = torch.load('" + ckpt_ +
                     "'); print(sorted(d.keys())); print(d['classes'][1], d['attributes'][0]); "
                     "print(tuple(d['state_dict']['trunk.conv1.conv.weight'].shape)); print(d['arch'].splitlines()[0])\"");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("['arch', 'attributes', 'classes', 'config', 'extra', 'format', 'iteration', 'state_dict']"),
            std::string::npos) << r.output;
  EXPECT_NE(r.output.find("man,person __no_attribute__"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("(16, 3, 7, 7)"), std::string::npos) << r.output;
}

TEST_F(ExtractTools, AdaptiveTsvMatchesTheOriginalSelection) {
  const auto out = (dir_ / "adaptive.tsv").string();
  const auto r = generate("--images " + (dir_ / "images").string() + " --out " + out);
  ASSERT_EQ(r.code, 0) << r.output;
  const auto rows = read_all(out);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].image_id, "messi5");
  EXPECT_EQ(rows[0].image_w, 548);
  EXPECT_EQ(rows[0].image_h, 342);
  const auto want = blob("sel_10_100_boxes");
  ASSERT_EQ(rows[0].num_boxes, want.size(0));
  const auto got = torch::tensor(rows[0].boxes).view({-1, 4});
  EXPECT_LE((got - want).abs().max().item<float>(), 1e-3);
  EXPECT_EQ(rows[0].feature_dim(), 512);
  EXPECT_FALSE(fs::exists(out + ".partial"));

  // A second run finds the image done and writes nothing new.
  const auto again = generate("--images " + (dir_ / "images").string() + " --out " + out);
  ASSERT_EQ(again.code, 0) << again.output;
  EXPECT_NE(again.output.find("1 images already done"), std::string::npos) << again.output;
  EXPECT_EQ(read_all(out).size(), 1u);
}

// An interrupted run leaves <out>.partial with a row cut short; the next run drops that row and finishes.
TEST_F(ExtractTools, ResumesAnInterruptedRun) {
  const auto out = (dir_ / "interrupted.tsv").string();
  const auto done = (dir_ / "done.tsv").string();
  ASSERT_EQ(generate("--images " + (dir_ / "images").string() + " --out " + done).code, 0);
  std::ifstream in(done, std::ios::binary);
  const std::string row((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream(out + ".partial", std::ios::binary) << row.substr(0, row.size() / 2);  // no line end
  const auto r = generate("--images " + (dir_ / "images").string() + " --out " + out);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("dropping an unterminated last row"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(out + ".partial"));
  const auto rows = read_all(out);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], read_all(done)[0]);
}

TEST_F(ExtractTools, FixedBoxesLxmertLayout) {
  const auto out = (dir_ / "fixed.tsv").string();
  const auto r = generate("--images " + (dir_ / "images").string() + " --out " + out +
                          " --min-boxes 36 --max-boxes 36 --format lxmert");
  ASSERT_EQ(r.code, 0) << r.output;
  const auto rows = read_all(out);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].num_boxes, 36);
  ASSERT_EQ(rows[0].objects_id.size(), 36u);
  // Object ids are 0-based without background: argmax(cls_prob[:, 1:]).
  const auto cls_prob = blob("cls_prob").index_select(0, torch::tensor(read_npy(kCaffe + "/messi5/sel_36_36_keep.npy").as_int64()));
  const auto want_ids = std::get<1>(cls_prob.narrow(1, 1, 20).max(1));
  for (int i = 0; i < 36; ++i) EXPECT_EQ(rows[0].objects_id[i], want_ids[i].item<int64_t>()) << i;
}

TEST_F(ExtractTools, GivenBoxesKeepTheirOrder) {
  const auto boxes_json = (dir_ / "boxes.json").string();
  std::ofstream(boxes_json) << R"({"messi5": [[0, 0, 547, 341], [10.25, 20.5, 12.25, 22.5], [300, 100, 547, 341]]})";
  const auto out = (dir_ / "given.tsv").string();
  const auto r = generate("--images " + (dir_ / "images").string() + " --out " + out + " --boxes " + boxes_json);
  ASSERT_EQ(r.code, 0) << r.output;
  const auto rows = read_all(out);
  ASSERT_EQ(rows.size(), 1u);
  ASSERT_EQ(rows[0].num_boxes, 3);
  const std::vector<float> want{0, 0, 547, 341, 10.25f, 20.5f, 12.25f, 22.5f, 300, 100, 547, 341};
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(rows[0].boxes[i], want[i], 1e-4) << i;
}

TEST_F(ExtractTools, CorruptImageIsListedAndSkipped) {
  const auto imgs = dir_ / "mixed";
  fs::create_directories(imgs);
  fs::copy_file(kCaffe + "/messi5.jpg", imgs / "good.jpg");
  std::ofstream(imgs / "broken.jpg") << "this is not a jpeg";
  const auto out = (dir_ / "mixed.tsv").string();
  const auto r = generate("--images " + imgs.string() + " --out " + out);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(read_all(out).size(), 1u);
  std::ifstream failures(out + ".failures.txt");
  std::string text((std::istreambuf_iterator<char>(failures)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("broken.jpg"), std::string::npos) << text;
}

TEST_F(ExtractTools, BadFlagsAndInputsFailClearly) {
  auto r = generate("--out " + (dir_ / "x.tsv").string());
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("give exactly one of"), std::string::npos) << r.output;
  r = generate("--images " + (dir_ / "images").string() + " --out " + (dir_ / "y.tsv").string() + " --format csv");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("unknown format"), std::string::npos) << r.output;
  r = generate("--images " + (dir_ / "images").string() + " --out " + (dir_ / "z.tsv").string() + " --set TEST.NOPE 1");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("NOPE"), std::string::npos) << r.output;
  // A checkpoint that is not one.
  const auto junk = (dir_ / "junk.pt").string();
  std::ofstream(junk) << "garbage";
  r = run(bin("generate_tsv") + " --net " + junk + " --images " + (dir_ / "images").string() + " --out " +
          (dir_ / "w.tsv").string());
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("junk.pt"), std::string::npos) << r.output;
}

TEST_F(ExtractTools, ImportRejectsMismatchedVocabularyAndWritesNothing) {
  const auto vocab = (dir_ / "short_vocab.txt").string();
  std::ofstream(vocab) << "a\nb\nc";
  const auto out = (dir_ / "never.pt").string();
  const auto r = run(bin("import_caffemodel") + " --caffemodel " + kCaffe + "/weights.caffemodel --arch " +
                     BUA_SOURCE_DIR + "/configs/reduced_caffe_ref.yml --objects-vocab " + vocab +
                     " --attributes-vocab " + kCaffe + "/attributes_vocab.txt --out " + out);
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("short_vocab.txt"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(ExtractTools, ImportRejectsWeightsOfAnotherArchitecture) {
  // Vocabularies that fit tiny_test (8 classes, 8 attributes), so the weights are what does not fit.
  const auto vocab = (dir_ / "eight.txt").string();
  std::ofstream(vocab) << "a\nb\nc\nd\ne\nf\ng\nh";
  const auto out = (dir_ / "never2.pt").string();
  const auto r = run(bin("import_caffemodel") + " --caffemodel " + kCaffe + "/weights.caffemodel --arch " +
                     BUA_SOURCE_DIR + "/configs/tiny_test.yml --objects-vocab " + vocab + " --attributes-vocab " +
                     vocab + " --out " + out);
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("do not match the architecture"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("res2b_branch2a"), std::string::npos) << r.output;  // tiny has no res2b
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
}  // namespace bua
