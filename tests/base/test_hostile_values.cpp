// Hostile values in the Torch-free readers (issue #14): duplicate Caffe layer names, out-of-range config
// values and a directory as config, control characters in Visual Genome names, invalid user boxes in
// rescore detections, invalid base64 characters, and ids that would break failures.txt. Each test feeds the
// input that once passed silently and expects one clear error (or the documented normalisation).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bua/config/config.h"
#include "bua/data/setup_vg.h"
#include "bua/data/vg_text.h"
#include "bua/data/voc_writer.h"
#include "bua/eval/vg_eval_data.h"
#include "bua/io/base64.h"
#include "bua/io/caffe_model.h"
#include "bua/util/atomic_file.h"
#include "bua/util/box_check.h"
#include "bua/util/error.h"
#include "bua/util/failure_list.h"
#include "bua/util/log.h"
#include "bua_test_paths.h"
#include "test_support.h"

namespace fs = std::filesystem;
using bua::testing::error_of;
using bua::testing::TempDir;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Keeps log warnings out of the test output, and what they said.
struct QuietLog {
  std::ostringstream text;
  QuietLog() { bua::set_log_stream(&text); }
  ~QuietLog() { bua::set_log_stream(nullptr); }
};

// ---- item 7: two layers with one name ------------------------------------------------------------------

TEST(HostileCaffe, FindTakesTheLastOfTwoLayersWithOneNameAsCopyFromDoes) {
  bua::CaffeModel m;
  for (float v : {1.0f, 2.0f}) {
    bua::CaffeLayer l;
    l.name = "conv1";
    l.type = "Convolution";
    l.blobs.push_back({{1}, {v}, false});
    m.layers.push_back(l);
  }
  bua::CaffeLayer other;
  other.name = "relu";
  m.layers.push_back(other);
  ASSERT_NE(m.find("conv1"), nullptr);
  EXPECT_EQ(m.find("conv1")->blobs[0].data[0], 2.0f);
  const auto all = m.find_all("conv1");
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0]->blobs[0].data[0], 1.0f);
  EXPECT_EQ(all[1]->blobs[0].data[0], 2.0f);
  EXPECT_TRUE(m.find_all("nothing").empty());
}

// ---- item 11: config values ------------------------------------------------------------------------------

std::string config_error(const std::string& yaml) {
  bua::Config cfg;
  return error_of([&] { bua::merge_config_yaml(cfg, yaml, "cfg.yml"); });
}

TEST(HostileConfig, OutOfRangeValuesAreRefusedNamingTheKeyAndLine) {
  for (const auto& [yaml, key] : std::vector<std::pair<std::string, std::string>>{
           {"TEST:\n  NMS: .nan\n", "TEST.NMS"},
           {"TEST:\n  NMS: 1.5\n", "TEST.NMS"},
           {"TEST:\n  SCALES: [0]\n", "TEST.SCALES[0]"},
           {"TEST:\n  SCALES: [600, -600]\n", "TEST.SCALES[1]"},
           {"TEST:\n  MAX_SIZE: 0\n", "TEST.MAX_SIZE"},
           {"TEST:\n  MAX_SIZE: 100000000\n", "TEST.MAX_SIZE"},
           {"TRAIN:\n  SCALES: [600]\n  MAX_SIZE: -1\n", "TRAIN.MAX_SIZE"},
           {"TRAIN:\n  FG_FRACTION: .inf\n", "TRAIN.FG_FRACTION"},
           {"TRAIN:\n  IMS_PER_BATCH: 0\n", "TRAIN.IMS_PER_BATCH"},
           {"TRAIN:\n  BBOX_NORMALIZE_STDS: [0.1, 0.1, 0.0, 0.2]\n", "TRAIN.BBOX_NORMALIZE_STDS[2]"},
           {"PIXEL_MEANS: [[[1.0, .nan, 3.0]]]\n", "PIXEL_MEANS[1]"},
           {"EPS: 0\n", "EPS"},
           {"DEDUP_BOXES: -.inf\n", "DEDUP_BOXES"},
       }) {
    SCOPED_TRACE(yaml);
    const std::string e = config_error(yaml);
    EXPECT_TRUE(contains(e, "cfg.yml:")) << e;
    EXPECT_TRUE(contains(e, "config key " + key + ":")) << e;
    EXPECT_TRUE(contains(e, "out of range")) << e;
  }
  // The range says what is allowed.
  EXPECT_TRUE(contains(config_error("TEST:\n  NMS: .nan\n"), "must be in [0, 1]"));
}

TEST(HostileConfig, SetValuesAreRangeCheckedToo) {
  bua::Config cfg;
  const std::string e = error_of([&] { bua::set_config_value(cfg, "TEST.NMS", ".nan"); });
  EXPECT_TRUE(contains(e, "--set TEST.NMS .nan")) << e;
  EXPECT_TRUE(contains(e, "config key TEST.NMS")) << e;
  EXPECT_TRUE(contains(error_of([&] { bua::set_config_value(cfg, "TEST.SCALES", "[0]"); }), "TEST.SCALES[0]"));
  EXPECT_EQ(cfg.TEST.NMS, bua::Config{}.TEST.NMS);  // unchanged by the refused values
  EXPECT_EQ(cfg.TEST.SCALES, bua::Config{}.TEST.SCALES);
}

TEST(HostileConfig, DefaultsAndShippedConfigsAreInRange) {
  // Boundary values the original uses are still accepted: -1 weights, 0 snapshots, top-n of 0 or less.
  bua::Config cfg;
  EXPECT_EQ(config_error("TRAIN:\n  RPN_POSITIVE_WEIGHT: -1\n  SNAPSHOT_ITERS: 0\n  RPN_PRE_NMS_TOP_N: -1\n"
                         "TEST:\n  NMS: 1.0\n  SCALES: [1]\n  RPN_POST_NMS_TOP_N: 0\n"),
            "");
  for (const char* file : {"/experiments/cfgs/faster_rcnn_end2end_resnet.yml", "/experiments/cfgs/synth_vg_quickstart.yml"}) {
    SCOPED_TRACE(file);
    EXPECT_EQ(error_of([&] { bua::load_config({std::string(BUA_SOURCE_DIR) + file}, {}); }), "");
  }
}

TEST(HostileConfig, DirectoryIsNotAnEmptyConfig) {
  TempDir dir;
  const std::string e = error_of([&] { bua::load_config({dir.path().string()}, {}); });
  EXPECT_TRUE(contains(e, dir.path().string())) << e;
  EXPECT_TRUE(contains(e, "is a directory")) << e;
}

TEST(HostileConfig, OversizedFileIsNotReadWhole) {
  TempDir dir;
  const std::string big = dir.file("big.yml");
  bua::write_file_atomic(big, "# " + std::string(5 << 20, 'x') + "\n");
  const std::string e = error_of([&] { bua::load_config({big}, {}); });
  EXPECT_TRUE(contains(e, big + ": larger than")) << e;
}

// ---- item 10: control characters and empty names in Visual Genome ------------------------------------------

TEST(HostileVgText, ControlCharactersAreNormalisedAndPlainNamesKept) {
  EXPECT_EQ(bua::normalize_vg_name(std::string("ca\0r", 4)), "ca r");
  EXPECT_EQ(bua::normalize_vg_name("sports\ncar\t"), "sports car");
  EXPECT_EQ(bua::normalize_vg_name("\x1b[31mred\x1b[0m"), "[31mred [0m");
  EXPECT_EQ(bua::normalize_vg_name("a\xc2\x85" "b"), "a b");  // U+0085, a C1 control
  EXPECT_EQ(bua::normalize_vg_name("\x01\x02"), "");
  // Without control characters nothing changes, double spaces included (the original keeps them).
  EXPECT_EQ(bua::normalize_vg_name("  sports  car "), "  sports  car ");
  EXPECT_EQ(bua::normalize_vg_name("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_FALSE(bua::has_control_character("caf\xc3\xa9 \xf0\x9f\x98\x80"));
  EXPECT_TRUE(bua::has_control_character("\x7f"));
}

struct RawFolder {
  TempDir dir;
  void write(const std::string& name, const std::string& text) { bua::write_file_atomic(dir.file(name), text); }
};

bua::SetupVgResult run_setup_vg(const RawFolder& raw, const std::string& out) {
  bua::SetupVgOptions o;
  o.data_dir = raw.dir.path().string();
  o.out_dir = out;
  o.progress = false;
  return bua::setup_vg(o);
}

bool has_control_bytes(const std::string& text, bool allow_newline) {
  for (char c : text) {
    const auto b = static_cast<unsigned char>(c);
    if ((b < 0x20 && !(allow_newline && b == '\n') && !(allow_newline && b == '\t')) || b == 0x7f) return true;
  }
  return false;
}

TEST(HostileSetupVg, ControlCharactersNeverReachTheXmlOrTheVocabularies) {
  RawFolder raw;
  raw.write("image_data.json", R"([{"image_id": 4, "url": "http://x/VG_100K/4.jpg", "width": 100, "height": 80,
                                    "coco_id": null, "flickr_id": null}])");
  raw.write("scene_graphs.json", R"([{"image_id": 4, "objects": [
      {"object_id": 1, "x": 0, "y": 0, "w": 5, "h": 5, "names": ["ca\u0000r"]},
      {"object_id": 2, "x": 0, "y": 0, "w": 5, "h": 5, "names": ["sports\ncar"]},
      {"object_id": 3, "x": 0, "y": 0, "w": 5, "h": 5, "names": ["\u0001\u0002"]},
      {"object_id": 4, "x": 0, "y": 0, "w": 5, "h": 5, "names": [" . "]},
      {"object_id": 5, "x": 0, "y": 0, "w": 5, "h": 5, "names": ["dog"]}],
    "relationships": [{"predicate": "ne\u001bar", "subject_id": 1, "object_id": 5}]}])");
  raw.write("attributes.json", R"([{"image_id": 4, "attributes": [
      {"object_id": 5, "attributes": ["bro\u0007wn"]}, {"object_id": 1, "attributes": ["."]}]}])");
  TempDir out;
  QuietLog log;
  const bua::SetupVgResult r = run_setup_vg(raw, out.path().string());
  // The two objects whose names clean to nothing are skipped and named with their image.
  EXPECT_EQ(r.skipped_objects, 2);
  EXPECT_TRUE(contains(log.text.str(), "image 4, object 3: empty name; object skipped")) << log.text.str();
  EXPECT_TRUE(contains(log.text.str(), "image 4, object 4: empty name")) << log.text.str();
  EXPECT_TRUE(contains(log.text.str(), "image 4, object 1: the name holds control characters; read as 'ca r'"))
      << log.text.str();
  const std::string xml = bua::read_file(out.file("xml/4.xml"));
  EXPECT_FALSE(has_control_bytes(xml, false)) << xml;
  EXPECT_TRUE(contains(xml, "<name>ca r</name>")) << xml;
  EXPECT_TRUE(contains(xml, "<name>sports car</name>")) << xml;
  EXPECT_TRUE(contains(xml, "<predicate>ne ar</predicate>")) << xml;
  EXPECT_TRUE(contains(xml, "<attribute>bro wn</attribute>")) << xml;
  for (const char* file : {"objects_vocab_2500.txt", "attributes_vocab_1000.txt", "relations_vocab_500.txt",
                           "objects_count.txt", "attributes_count.txt"}) {
    const std::string text = bua::read_file(out.file(file));
    SCOPED_TRACE(file);
    EXPECT_FALSE(has_control_bytes(text, true)) << text;
    EXPECT_FALSE(contains("\n" + text, "\n\n")) << text;  // no empty line (an empty name)
    EXPECT_FALSE(contains("\n" + text, "\n\t")) << text;
  }
  EXPECT_EQ(bua::read_file(out.file("objects_vocab_2500.txt")), "ca r\nsports car\ndog\n");
}

TEST(HostileSetupVg, ControlCharactersInAUrlAreRefusedNamingTheImage) {
  RawFolder raw;
  raw.write("image_data.json", R"([{"image_id": 6, "url": "http://x/VG_100K/6\u0000.jpg", "width": 1, "height": 1,
                                    "coco_id": null, "flickr_id": null}])");
  raw.write("scene_graphs.json", R"([{"image_id": 6, "objects": [], "relationships": []}])");
  raw.write("attributes.json", "[]");
  TempDir out;
  const std::string e = error_of([&] { run_setup_vg(raw, out.path().string()); });
  EXPECT_TRUE(contains(e, "image 6")) << e;
  EXPECT_TRUE(contains(e, "'url' holds control characters")) << e;
}

TEST(HostileSetupVg, XmlWriterRefusesTextXmlCannotCarry) {
  bua::VocAnnotation a;
  a.image_id = "12";
  a.folder = "F";
  a.filename = "12.jpg";
  bua::VocObject o;
  o.name = std::string("a\0b", 3);
  a.objects.push_back(o);
  const std::string e = error_of([&] { bua::voc_xml(a); });
  EXPECT_TRUE(contains(e, "image 12: <name> would hold control character 0")) << e;
}

// ---- item 8: boxes given by the user (rescore detections) --------------------------------------------------

TEST(HostileBoxes, BoxProblemNamesWhatIsWrong) {
  EXPECT_EQ(bua::box_problem(0, 0, 10, 10), "");
  EXPECT_EQ(bua::box_problem(5, 5, 5, 5), "");  // a one-pixel box is a box
  EXPECT_TRUE(contains(bua::box_problem(10, 0, 5, 10), "x2 < x1"));
  EXPECT_TRUE(contains(bua::box_problem(0, 10, 5, 5), "y2 < y1"));
  EXPECT_TRUE(contains(bua::box_problem(0, 0, 1e39, 10), "outside [-1e6, 1e6]"));
  EXPECT_TRUE(contains(bua::box_problem(0, 0, std::numeric_limits<double>::quiet_NaN(), 10), "not a finite"));
  EXPECT_TRUE(contains(bua::box_problem(-std::numeric_limits<double>::infinity(), 0, 1, 1), "not a finite"));
}

TEST(HostileBoxes, RescoreDetectionsWithBadBoxesAreRefused) {
  const auto gt = bua::parse_vg_ground_truth(
      nlohmann::json::parse(R"({"classes": ["__background__", "cat"], "attributes": ["__no_attribute__", "black"],
                                "images": [{"image_id": 7, "width": 50, "height": 40, "boxes": [[1, 2, 10, 20]],
                                            "classes": [1], "attributes": [[1]]}]})"),
      "gt.json");
  auto dets = [](const nlohmann::json& box) { return nlohmann::json{{"objects", {{"cat", {{"7", {box}}}}}}}; };
  EXPECT_EQ(error_of([&] { bua::parse_vg_detections(dets({1, 2, 10, 20, 0.9}), gt, "d.json"); }), "");
  for (const auto& [box, problem] : std::vector<std::pair<nlohmann::json, std::string>>{
           {{10, 2, 1, 20, 0.9}, "x2 < x1"},
           {{1, 20, 10, 2, 0.9}, "y2 < y1"},
           {{1, 2, 1e39, 20, 0.9}, "outside [-1e6, 1e6]"},
           {{1, 2, std::numeric_limits<double>::quiet_NaN(), 20, 0.9}, "not a finite number"},
           {{1, 2, 10, 20, std::numeric_limits<double>::infinity()}, "score is not a finite number"},
       }) {
    const std::string e = error_of([&] { bua::parse_vg_detections(dets(box), gt, "d.json"); });
    EXPECT_TRUE(contains(e, "d.json: objects.cat.7[0]: ")) << e;
    EXPECT_TRUE(contains(e, problem)) << e;
  }
}

// ---- item 17: base64 characters, failures.txt ids -----------------------------------------------------------

TEST(HostileBase64, InvalidCharactersAreNamedBeforeTheLengthOrSize) {
  // A stray space makes the length wrong too: the character is the problem to report.
  std::string e = error_of([] { bua::base64_decode("AAAA AAA=", "row 3"); });
  EXPECT_TRUE(contains(e, "row 3: bad base64 character 0x20 at offset 4")) << e;
  e = error_of([] { bua::base64_decode("AAA?A", "f"); });
  EXPECT_TRUE(contains(e, "bad base64 character '?' at offset 3")) << e;
  // '=' inside the text, length a multiple of 4, so the decoded size looks wrong first.
  std::vector<uint8_t> out(6);
  e = error_of([&] { bua::base64_decode_into("AA=AAAAA", out.data(), out.size(), "f"); });
  EXPECT_TRUE(contains(e, "bad base64 character '=' at offset 2")) << e;
  e = error_of([&] { bua::base64_decode_into("AAAAAA*A", out.data(), 3, "f"); });
  EXPECT_TRUE(contains(e, "bad base64 character '*' at offset 6")) << e;
  // Clean text of the wrong length is still reported as a length problem.
  e = error_of([] { bua::base64_decode("AAAAA", "f"); });
  EXPECT_TRUE(contains(e, "not a multiple of 4")) << e;
}

TEST(HostileFailureList, TabsAndNewlinesInIdsAndPathsKeepOneLineOfThreeFields) {
  const std::string id = "a\tb\nc\\d\r";
  const std::string line = bua::failure_line(id, "dir\t/x\ny.jpg", "bad\tthing\nhappened");
  EXPECT_EQ(line.find('\n'), std::string::npos) << line;
  EXPECT_EQ(line.find('\r'), std::string::npos) << line;
  EXPECT_EQ(std::count(line.begin(), line.end(), '\t'), 2) << line;
  TempDir dir;
  bua::write_failure_list(dir.file("failures.txt"), {line, bua::failure_line("plain", "p.jpg", "r")});
  EXPECT_EQ(bua::read_failure_ids(dir.file("failures.txt")), (std::vector<std::string>{id, "plain"}));
}

}  // namespace
