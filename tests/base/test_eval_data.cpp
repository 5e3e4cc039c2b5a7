// Loading and writing the evaluation's JSON files, the report files, and the rescore call.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bua/eval/eval_report.h"
#include "bua/eval/rescore.h"
#include "bua/eval/vg_eval_data.h"
#include "bua/util/atomic_file.h"
#include "bua/util/error.h"
#include "bua_test_paths.h"
#include "test_support.h"

namespace bua {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kDir = std::string(BUA_TEST_DATA) + "/vg_eval/";

class TempDir {
 public:
  TempDir() : path_(bua::testing::new_temp_dir("bua_test_eval")) {}
  ~TempDir() { fs::remove_all(path_); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::string write(const std::string& name, const std::string& text) const {
    write_file_atomic(file(name), text);
    return file(name);
  }

 private:
  fs::path path_;
};

json small_gt() {
  return json::parse(R"({"classes": ["__background__", "cat", "dog"],
                         "attributes": ["__no_attribute__", "black"],
                         "images": [{"image_id": 7, "width": 50, "height": 40,
                                     "boxes": [[1, 2, 10, 20], [5, 5, 30, 30]],
                                     "classes": [1, 2], "attributes": [[1], []]},
                                    {"image_id": 9, "width": 50, "height": 40,
                                     "boxes": [], "classes": [], "attributes": []}]})");
}

// Expects parsing to throw a bua::Error whose message holds every one of `parts`.
template <typename F>
void expect_error(F&& f, std::vector<std::string> parts) {
  try {
    f();
    ADD_FAILURE() << "no error thrown";
  } catch (const Error& e) {
    for (const auto& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
  }
}

TEST(VgEvalData, LoadsReferenceFiles) {
  VgGroundTruth gt = load_vg_ground_truth(kDir + "gt.json");
  EXPECT_EQ(gt.classes.size(), 9u);
  EXPECT_EQ(gt.attributes.size(), 7u);
  ASSERT_EQ(gt.images.size(), 14u);
  EXPECT_EQ(gt.images[0].image_id, 1000);
  EXPECT_EQ(gt.images[0].boxes[0], (std::array<int, 4>{137, 203, 147, 287}));
  EXPECT_EQ(gt.images[0].attributes[2], (std::vector<int>{5, 1, 3}));
  VgDetections d = load_vg_detections(kDir + "detections.json", gt);
  ASSERT_TRUE(d.objects);
  // objects["obj1"]["1000"][0]
  const EvalDetection& first = (*d.objects)[1][0][0];
  EXPECT_EQ(first.x1, 136.8273721054152);
  EXPECT_EQ(first.score, 0.775917746244576);
  EXPECT_EQ((*d.objects)[1][2].size(), 1u);  // image 1014 has a detection but no gt
}

TEST(VgEvalData, SaveAndLoadRoundTripExactly) {
  TempDir tmp;
  VgGroundTruth gt = load_vg_ground_truth(kDir + "gt.json");
  VgDetections d = load_vg_detections(kDir + "detections.json", gt);
  save_vg_ground_truth(tmp.file("gt.json"), gt);
  save_vg_detections(tmp.file("dets.json"), d, gt);
  VgGroundTruth gt2 = load_vg_ground_truth(tmp.file("gt.json"));
  VgDetections d2 = load_vg_detections(tmp.file("dets.json"), gt2);
  EXPECT_EQ(vg_ground_truth_to_json(gt2), vg_ground_truth_to_json(gt));
  EXPECT_EQ(vg_detections_to_json(d2, gt2), vg_detections_to_json(d, gt));
  EXPECT_EQ(vg_detections_to_json(d, gt), json::parse(read_file(kDir + "detections.json")));
}

TEST(VgEvalData, MalformedGroundTruth) {
  TempDir tmp;
  const std::string bad = tmp.write("bad.json", "{\"classes\": [");
  expect_error([&] { load_vg_ground_truth(bad); }, {bad, "malformed JSON"});
  expect_error([&] { load_vg_ground_truth(tmp.file("absent.json")); }, {"absent.json"});

  auto with = [](const std::function<void(json&)>& edit) {
    json j = small_gt();
    edit(j);
    return j;
  };
  const std::string src = "gt.json";
  expect_error([&] { parse_vg_ground_truth(with([](json& j) { j.erase("images"); }), src); },
               {src, "images", "missing"});
  expect_error([&] { parse_vg_ground_truth(with([](json& j) { j.erase("attributes"); }), src); },
               {"attributes", "missing"});
  expect_error([&] { parse_vg_ground_truth(with([](json& j) { j["classes"] = json::array(); }), src); },
               {"classes", "empty"});
  expect_error([&] { parse_vg_ground_truth(with([](json& j) { j["images"][0].erase("height"); }), src); },
               {"images[0].height", "missing"});
  expect_error(
      [&] {
        parse_vg_ground_truth(with([](json& j) { j["images"][0]["boxes"][1] = {1, 2, 3}; }), src);
      },
      {"images[0].boxes[1]"});
  expect_error([&] { parse_vg_ground_truth(with([](json& j) { j["images"][0]["boxes"][0][2] = 10.5; }), src); },
               {"images[0].boxes[0][2]", "integer"});
  expect_error([&] { parse_vg_ground_truth(with([](json& j) { j["images"][0]["boxes"][0][0] = -1; }), src); },
               {"images[0].boxes[0][0]", "out of range"});
  expect_error([&] { parse_vg_ground_truth(with([](json& j) { j["images"][0]["classes"][1] = 3; }), src); },
               {"images[0].classes[1]", "out of range"});
  expect_error([&] { parse_vg_ground_truth(with([](json& j) { j["images"][0]["classes"][1] = 0; }), src); },
               {"images[0].classes[1]", "out of range"});
  expect_error([&] { parse_vg_ground_truth(with([](json& j) { j["images"][0]["attributes"][0] = {2}; }), src); },
               {"images[0].attributes[0][0]", "out of range"});
  expect_error([&] { parse_vg_ground_truth(with([](json& j) { j["images"][0]["classes"] = {1}; }), src); },
               {"images[0].classes", "1 entries for 2 boxes"});
  expect_error([&] { parse_vg_ground_truth(with([](json& j) { j["images"][1]["image_id"] = 7; }), src); },
               {"images[1]", "7", "twice"});
  expect_error([&] { parse_vg_ground_truth(with([](json& j) { j["images"][1]["image_id"] = "9"; }), src); },
               {"images[1].image_id", "integer"});
  expect_error([&] { parse_vg_ground_truth(json::array(), src); }, {src, "object"});
}

TEST(VgEvalData, MalformedDetections) {
  const VgGroundTruth gt = parse_vg_ground_truth(small_gt(), "gt.json");
  const std::string src = "dets.json";
  auto parse = [&](const char* text) { return parse_vg_detections(json::parse(text), gt, src); };
  EXPECT_NO_THROW(parse(R"({"objects": {"cat": {"7": [[1, 2, 3, 4, 0.5]]}}})"));
  expect_error([&] { parse(R"({"dets": {}})"); }, {src, "objects", "missing"});
  expect_error([&] { parse(R"({"objects": {"cow": {}}})"); }, {"objects.cow", "not a name"});
  expect_error([&] { parse(R"({"objects": {"__background__": {}}})"); }, {"objects.__background__"});
  expect_error([&] { parse(R"({"attributes": {"cat": {}}})"); }, {"attributes.cat"});
  expect_error([&] { parse(R"({"objects": {"cat": {"8": []}}})"); }, {"objects.cat.8", "not in the ground truth"});
  expect_error([&] { parse(R"({"objects": {"cat": {"07": []}}})"); }, {"objects.cat.07", "not an image id"});
  expect_error([&] { parse(R"({"objects": {"cat": {"7": [[1, 2, 3, 0.5]]}}})"); }, {"objects.cat.7[0]", "5 numbers"});
  expect_error([&] { parse(R"({"objects": {"cat": {"7": [[1, 2, 3, "4", 0.5]]}}})"); }, {"objects.cat.7[0]"});
  expect_error([&] { parse(R"({"objects": {"cat": {"7": {}}}})"); }, {"objects.cat.7", "array"});
  expect_error([&] { parse(R"({"objects": []})"); }, {"objects", "object"});

  TempDir tmp;
  const std::string bad = tmp.write("dets.json", "{\"objects\": {\"cat\": {\"7\": [[1, 2,,]]}}}");
  expect_error([&] { load_vg_detections(bad, gt); }, {bad, "malformed JSON"});
}

TEST(VgEvalData, ReportFiles) {
  const VgGroundTruth gt = load_vg_ground_truth(kDir + "gt.json");
  const VgDetections d = load_vg_detections(kDir + "detections.json", gt);
  const TaskEval e = evaluate_vg(gt, *d.objects, EvalTask::kObjects);
  // Thresholds as the original writes them: "<name> %.3f".
  const std::string thresholds = thresholds_text(e);
  EXPECT_EQ(thresholds.substr(0, 22), "obj1 0.566\nobj2 0.167\n");
  EXPECT_NE(thresholds.find("obj7 0.620\n"), std::string::npos);
  EXPECT_EQ(thresholds_file_name(EvalTask::kAttributes, "minival"), "attribute_thresholds_minival.txt");
  EXPECT_EQ(thresholds_file_name(EvalTask::kObjects, "val"), "object_thresholds_val.txt");
  // AP list: the values read back exactly.
  std::istringstream ap(ap_list_text(e));
  int index = 0;
  std::string name;
  double value = 0;
  int64_t npos = 0;
  ap >> index >> name >> value >> npos;
  EXPECT_EQ(index, 1);
  EXPECT_EQ(name, "obj1");
  EXPECT_EQ(value, e.per_class[0].ap);
  EXPECT_EQ(npos, 11);

  std::ostringstream summary;
  print_vg_summary(e, summary);
  const std::string s = summary.str();
  EXPECT_EQ(s.substr(0, 32), "AP for obj1 = 0.6242 (npos=11)\nA");
  EXPECT_NE(s.find("Mean AP = 0.5349\n"), std::string::npos);
  EXPECT_NE(s.find("Weighted Mean AP = 0.5620\n"), std::string::npos);
  EXPECT_NE(s.find("Mean Detection Threshold = 0.340\n"), std::string::npos);
  EXPECT_NE(s.find("Results:\n0.624\t11.000\n"), std::string::npos);
  EXPECT_NE(s.find("0.589\t14.000\n0.535\n~~~~~~~~\n"), std::string::npos);
}

TEST(VgEvalData, SummaryUsesThousandsSeparators) {
  TaskEval e;
  ClassEval c;
  c.name = "x";
  c.ap = 0.25;
  c.npos = 1234567;
  e.per_class.push_back(c);
  std::ostringstream out;
  print_vg_summary(e, out);
  EXPECT_EQ(out.str().substr(0, 34), "AP for x = 0.2500 (npos=1,234,567)");
}

TEST(VgEvalData, RescoreWritesFilesAndJson) {
  TempDir tmp;
  RescoreOptions options;
  options.gt_path = kDir + "gt.json";
  options.detections_path = kDir + "detections.json";
  options.out_dir = tmp.file("out");
  options.split = "test";
  options.json = true;
  std::ostringstream out;
  rescore(options, out);
  const json got = json::parse(out.str());
  const json want = json::parse(read_file(kDir + "expected.json"));
  for (const char* task : {"objects", "attributes"}) {
    EXPECT_NEAR(got[task]["mean_ap"].get<double>(), want[task]["mean_ap"].get<double>(), 1e-9);
    EXPECT_NEAR(got[task]["weighted_mean_ap"].get<double>(), want[task]["weighted_mean_ap"].get<double>(), 1e-9);
  }
  for (const char* f : {"object_thresholds_test.txt", "attribute_thresholds_test.txt", "object_ap_test.txt",
                        "attribute_ap_test.txt", "eval_test.json"}) {
    EXPECT_TRUE(fs::exists(tmp.file("out/") + f)) << f;
  }
  EXPECT_EQ(json::parse(read_file(tmp.file("out/eval_test.json"))), got);
  EXPECT_EQ(read_file(tmp.file("out/attribute_thresholds_test.txt")).substr(0, 12), "attr1 0.566\n");

  // Summary mode prints both tasks.
  options.json = false;
  options.out_dir.clear();
  std::ostringstream text;
  rescore(options, text);
  EXPECT_NE(text.str().find("Evaluating objects\nAP for obj1"), std::string::npos);
  EXPECT_NE(text.str().find("Evaluating attributes\nAP for attr1"), std::string::npos);

  // Only the tasks the detections file holds are scored.
  const VgGroundTruth gt = load_vg_ground_truth(kDir + "gt.json");
  VgDetections only_objects = load_vg_detections(kDir + "detections.json", gt);
  only_objects.attributes.reset();
  save_vg_detections(tmp.file("objects.json"), only_objects, gt);
  options.detections_path = tmp.file("objects.json");
  RescoreResult r = rescore(options, text);
  EXPECT_TRUE(r.objects.has_value());
  EXPECT_FALSE(r.attributes.has_value());

  options.gt_path = tmp.file("missing.json");
  expect_error([&] { rescore(options, text); }, {"missing.json"});
}

}  // namespace
}  // namespace bua
