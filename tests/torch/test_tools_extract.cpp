// The feature tools end to end, as a user runs them: import_caffemodel on the reference Caffe net, then
// generate_tsv in each mode, resume, bad inputs, and the checks on what lands on disk.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "bua/features/extractor.h"
#include "bua/features/image_list.h"
#include "bua/io/feature_files.h"
#include "bua/io/hdf5_features.h"
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
    dir_ = bua::testing::new_temp_dir("bua_extract");
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

// Every output format holds the records of the TSV of the same run (the consumers' own loading calls are
// checked in tests/base/test_feature_formats.cpp).
TEST_F(ExtractTools, EveryFormatHoldsTheTsvRecords) {
  const auto images = (dir_ / "images").string();
  const auto tsv = (dir_ / "fmt.tsv").string();
  auto r = generate("--images " + images + " --out " + tsv + " --format lxmert");
  ASSERT_EQ(r.code, 0) << r.output;
  const auto want = read_all(tsv);
  ASSERT_EQ(want.size(), 1u);
  std::vector<std::pair<std::string, std::string>> outputs = {{"captioning", (dir_ / "fmt_cap").string()},
                                                              {"npz", (dir_ / "fmt_npz").string()}};
  if (hdf5_available()) outputs.push_back({"hdf5-adaptive", (dir_ / "fmt.hdf5").string()});
  for (const auto& [format, out] : outputs) {
    SCOPED_TRACE(format);
    r = generate("--images " + images + " --out " + out + " --format " + format + " --npz-layout features-first");
    ASSERT_EQ(r.code, 0) << r.output;
    FeatureSource source(out);
    FeatureRecord got;
    ASSERT_TRUE(source.next(got));
    FeatureRecord expected = want[0];
    if (format == "captioning") expected.objects_id.clear(), expected.objects_conf.clear(), expected.attrs_id.clear(),
                                expected.attrs_conf.clear();
    EXPECT_EQ(got, expected);
    // Run again (with the same settings, which a resume must repeat): everything is there, nothing is added.
    r = generate("--images " + images + " --out " + out + " --format " + format + " --npz-layout features-first");
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_NE(r.output.find("0 written, 1 already there"), std::string::npos) << r.output;
  }
  if (hdf5_available()) {
    r = generate("--images " + images + " --out " + (dir_ / "f36.hdf5").string() + " --format hdf5-fixed");
    EXPECT_NE(r.code, 0);
    EXPECT_NE(r.output.find("give --min-boxes and --max-boxes the same value"), std::string::npos) << r.output;
  }
}

TEST_F(ExtractTools, RegressedBoxesGetTheirOwnFeatures) {
  const auto images = (dir_ / "images").string();
  const auto proposals = (dir_ / "prop.tsv").string(), regressed = (dir_ / "regr.tsv").string();
  auto r = generate("--images " + images + " --out " + proposals + " --format lxmert");
  ASSERT_EQ(r.code, 0) << r.output;
  r = generate("--images " + images + " --out " + regressed + " --format lxmert --box-source regressed");
  ASSERT_EQ(r.code, 0) << r.output;
  const auto p = read_all(proposals).at(0), g = read_all(regressed).at(0);
  ASSERT_EQ(p.num_boxes, g.num_boxes);
  EXPECT_NE(p.boxes, g.boxes);
  EXPECT_NE(p.features, g.features);
  // The features are those of the written boxes: given back as --boxes, they come out the same.
  std::ofstream boxes(dir_ / "regr_boxes.json");
  boxes << "{\"messi5\": [";
  for (int64_t i = 0; i < g.num_boxes; ++i)
    boxes << (i ? "," : "") << "[" << g.boxes[4 * i] << "," << g.boxes[4 * i + 1] << "," << g.boxes[4 * i + 2] << ","
          << g.boxes[4 * i + 3] << "]";
  boxes << "]}";
  boxes.close();
  // Printed with 6 significant digits, the boxes move by up to 5e-4 px: compare features loosely.
  const auto again = (dir_ / "regr_given.tsv").string();
  r = generate("--images " + images + " --out " + again + " --format lxmert --boxes " + (dir_ / "regr_boxes.json").string());
  ASSERT_EQ(r.code, 0) << r.output;
  const auto a = read_all(again).at(0);
  ASSERT_EQ(a.features.size(), g.features.size());
  double num = 0, den = 0;
  for (size_t i = 0; i < a.features.size(); ++i)
    num += std::abs(a.features[i] - g.features[i]), den += std::abs(g.features[i]);
  EXPECT_LT(num / den, 1e-3);
  EXPECT_EQ(a.objects_id, g.objects_id);
  // Every regressed box lies in the image (clipped).
  for (int64_t i = 0; i < g.num_boxes; ++i) {
    EXPECT_GE(g.boxes[4 * i], 0);
    EXPECT_LE(g.boxes[4 * i + 2], g.image_w - 1);
    EXPECT_LE(g.boxes[4 * i + 3], g.image_h - 1);
  }
}

TEST_F(ExtractTools, ShardAutoFollowsTheLauncher) {
  const auto imgs = dir_ / "four";
  fs::create_directories(imgs);
  for (const char* name : {"1.jpg", "2.jpg"}) fs::copy_file(kCaffe + "/messi5.jpg", imgs / name);
  const auto out = (dir_ / "sharded.tsv").string();
  for (int rank = 0; rank < 2; ++rank) {
    const auto r = run("RANK=" + std::to_string(rank) + " WORLD_SIZE=2 " + bin("generate_tsv") + " --net " + ckpt_ +
                       " --set TEST.SCALES [200] TEST.MAX_SIZE 400 --images " + imgs.string() + " --out " + out +
                       " --shard auto");
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_NE(r.output.find("(torchrun) -> " + out + "." + std::to_string(rank)), std::string::npos) << r.output;
  }
  EXPECT_FALSE(fs::exists(out));
  std::set<std::string> ids;
  for (const char* part : {".0", ".1"}) {
    const auto rows = read_all(out + part);
    EXPECT_EQ(rows.size(), 1u);
    for (const auto& row : rows) ids.insert(row.image_id);
  }
  EXPECT_EQ(ids, (std::set<std::string>{"1", "2"}));
}

// messi5.jpg with an EXIF APP1 segment saying "rotate 90 degrees clockwise to display" (orientation 6).
std::string rotated_jpeg(const std::string& jpeg) {
  const std::string payload = std::string("Exif\0\0", 6) +
                              std::string("II\x2a\0\x08\0\0\0", 8) +       // TIFF header, IFD0 at 8
                              std::string("\x01\0", 2) +                       // one entry
                              std::string("\x12\x01\x03\0\x01\0\0\0\x06\0\0\0", 12) +  // Orientation SHORT 6
                              std::string("\0\0\0\0", 4);                    // no next IFD
  const size_t length = payload.size() + 2;
  std::string segment = "\xff\xe1";
  segment += static_cast<char>(length >> 8);
  segment += static_cast<char>(length & 0xff);
  return jpeg.substr(0, 2) + segment + payload + jpeg.substr(2);
}

TEST_F(ExtractTools, ExifOrientationAppliedOrIgnored) {
  const auto imgs = dir_ / "exif";
  fs::create_directories(imgs);
  std::ifstream in(kCaffe + "/messi5.jpg", std::ios::binary);
  const std::string jpeg((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream(imgs / "phone.jpg", std::ios::binary) << rotated_jpeg(jpeg);
  std::map<std::string, std::pair<int64_t, int64_t>> sizes;
  for (const char* mode : {"apply", "ignore"}) {
    const auto out = (dir_ / (std::string("exif_") + mode + ".tsv")).string();
    const auto r = generate("--images " + imgs.string() + " --out " + out + " --exif " + std::string(mode));
    ASSERT_EQ(r.code, 0) << r.output;
    const auto row = read_all(out).at(0);
    sizes[mode] = {row.image_w, row.image_h};
    for (int64_t i = 0; i < row.num_boxes; ++i) {  // boxes refer to the image as decoded
      EXPECT_LE(row.boxes[4 * i + 2], row.image_w);
      EXPECT_LE(row.boxes[4 * i + 3], row.image_h);
    }
  }
  EXPECT_EQ(sizes["ignore"], std::make_pair(int64_t{548}, int64_t{342}));  // messi5.jpg as stored
  EXPECT_EQ(sizes["apply"], std::make_pair(int64_t{342}, int64_t{548}));   // turned upright
  EXPECT_NE(generate("--images " + imgs.string() + " --out " + (dir_ / "e.tsv").string() + " --exif sideways").code, 0);
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

namespace bua {
namespace {

// The multi-GPU split: a partition of the list, drawn through the portable shuffle (pinned: the same split
// with every standard library, unlike std::shuffle).
TEST(ShardEntries, PartitionIsPortable) {
  std::vector<ImageEntry> entries;
  for (int i = 0; i < 10; ++i) entries.push_back({"p" + std::to_string(i), std::to_string(i)});
  std::vector<std::string> all;
  for (int k = 0; k < 3; ++k)
    for (const auto& e : shard_entries(entries, k, 3, 10, /*shuffle=*/true)) all.push_back(e.id);
  std::string joined;
  for (const auto& id : all) joined += id + " ";
  auto sorted = all;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, (std::vector<std::string>{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}));
  EXPECT_EQ(joined, "5 3 8 0 6 2 9 7 4 1 ");  // shards 0, 1, 2 one after the other
}

}  // namespace
}  // namespace bua
