// setup_vg against the original's own outputs (tests/data/setup_vg), plus each cleaning, counting,
// joining and error rule on small hand-written inputs.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "bua/data/json_stream.h"
#include "bua/data/setup_vg.h"
#include "bua/data/vg_text.h"
#include "bua/util/atomic_file.h"
#include "bua/util/error.h"
#include "bua/util/log.h"
#include "bua_test_paths.h"
#include "test_support.h"

namespace fs = std::filesystem;
using bua::testing::TempDir;

using bua::testing::error_of;

namespace {

std::string reference(const std::string& rel) { return std::string(BUA_TEST_DATA) + "/setup_vg/" + rel; }

std::vector<std::string> lines_of(const std::string& path) {
  std::vector<std::string> lines;
  std::string text = bua::read_file(path), line;
  for (char c : text) {
    if (c == '\n') {
      lines.push_back(line);
      line.clear();
    } else {
      line += c;
    }
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

// The XML with each object's run of <attribute> elements sorted: the original writes them from a set.
std::string normalize_attributes(const std::string& xml) {
  std::string out;
  size_t pos = 0;
  const std::string open = "<attribute>";
  while (true) {
    size_t start = xml.find(open, pos);
    if (start == std::string::npos) break;
    out += xml.substr(pos, start - pos);
    std::vector<std::string> run;
    size_t p = start;
    while (xml.compare(p, open.size(), open) == 0) {
      size_t end = xml.find("</attribute>", p) + 12;
      run.push_back(xml.substr(p, end - p));
      p = end;
    }
    std::sort(run.begin(), run.end());
    for (auto& r : run) out += r;
    pos = p;
  }
  return out + xml.substr(pos);
}

void expect_matches_reference(const std::string& which, size_t max_obj, size_t max_attr, size_t max_rel) {
  TempDir out;
  const std::string input = reference(which + "/input");
  std::map<std::string, std::string> before;
  for (auto& e : fs::directory_iterator(input)) before[e.path().string()] = bua::read_file(e.path().string());

  bua::SetupVgOptions options;
  options.data_dir = input;
  options.out_dir = out.path().string();
  options.max_objects = max_obj, options.max_attributes = max_attr, options.max_relations = max_rel;
  options.progress = false;
  bua::SetupVgResult r = bua::setup_vg(options);
  EXPECT_EQ(r.images, 24);

  const std::string expected = reference(which + "/expected");
  for (const char* counts : {"objects_count.txt", "attributes_count.txt", "relations_count.txt"})
    EXPECT_EQ(bua::read_file(expected + "/" + counts), bua::read_file(out.file(counts))) << which << " " << counts;
  for (auto [kind, n] : {std::pair{"objects", max_obj}, {"attributes", max_attr}, {"relations", max_rel}}) {
    const std::string name = std::string(kind) + "_vocab_" + std::to_string(n) + ".txt";
    auto want = lines_of(expected + "/" + name), got = lines_of(out.file(name));
    EXPECT_EQ(std::set<std::string>(want.begin(), want.end()), std::set<std::string>(got.begin(), got.end()))
        << which << " " << name;
    EXPECT_EQ(want.size(), got.size()) << name;
  }
  std::set<std::string> want_xml, got_xml;
  for (auto& e : fs::directory_iterator(expected + "/xml")) want_xml.insert(e.path().filename().string());
  for (auto& e : fs::directory_iterator(out.path() / "xml")) got_xml.insert(e.path().filename().string());
  EXPECT_EQ(want_xml, got_xml);
  EXPECT_EQ(r.xml_written, static_cast<int64_t>(want_xml.size()));
  for (const std::string& name : want_xml) {
    if (!got_xml.count(name)) continue;
    EXPECT_EQ(normalize_attributes(bua::read_file(expected + "/xml/" + name)),
              normalize_attributes(bua::read_file((out.path() / "xml" / name).string())))
        << which << " " << name;
  }
  for (auto& [path, text] : before) EXPECT_EQ(bua::read_file(path), text) << path << " was modified";
}

// A raw VG folder written from JSON text.
struct RawFolder {
  TempDir dir;
  void write(const std::string& name, const std::string& text) { bua::write_file_atomic(dir.file(name), text); }
  std::string path() const { return dir.path().string(); }
};

const char* kTwoImages = R"([
 {"image_id": 1, "url": "http://x/VG_100K/1.jpg", "width": 100, "height": 80, "coco_id": 5, "flickr_id": null},
 {"image_id": 2, "url": "http://x/VG_100K_2/2.jpg", "width": 50, "height": 60, "coco_id": null, "flickr_id": 7}])";

bua::SetupVgResult run(const RawFolder& raw, const std::string& out, size_t max = 100) {
  bua::SetupVgOptions o;
  o.data_dir = raw.path();
  o.out_dir = out;
  o.max_objects = o.max_attributes = o.max_relations = max;
  o.progress = false;
  return bua::setup_vg(o);
}

// Silences log warnings (broken objects) in tests that expect them, keeping what was said.
struct QuietLog {
  std::ostringstream text;
  QuietLog() { bua::set_log_stream(&text); }
  ~QuietLog() { bua::set_log_stream(nullptr); }
};

}  // namespace

TEST(SetupVgReference, FullLimitsMatchTheOriginal) { expect_matches_reference("full", 2500, 1000, 500); }

TEST(SetupVgReference, CutLimitsMatchTheOriginal) { expect_matches_reference("limited", 8, 6, 4); }

TEST(VgText, CleanString) {
  EXPECT_EQ(bua::clean_string("  Tree. "), "tree");
  EXPECT_EQ(bua::clean_string("a b . "), "a b");    // one '.' dropped, then stripped again
  EXPECT_EQ(bua::clean_string("dots.."), "dots.");  // only one
  EXPECT_EQ(bua::clean_string("."), "");
  EXPECT_EQ(bua::clean_string("CAFÉ\u00a0"), "café");  // Unicode lower and strip, as Python 3
  EXPECT_EQ(bua::python_lower("ÀÖØÞ ĀĹŸ ΣΆ ДЁ İ"), "àöøþ āĺÿ σά дё i\u0307");
  EXPECT_EQ(bua::python_split(" a\u3000b\t c "), (std::vector<std::string>{"a", "b", "c"}));
}

TEST(VgText, ObjectNamesLoseLeadingCommonAdjectives) {
  auto o = bua::clean_object_name("Small RED car.");
  EXPECT_EQ(o.name, "car");
  EXPECT_EQ(o.attributes, (std::vector<std::string>{"small", "red"}));
  o = bua::clean_object_name("red sports car");  // "sports" is not a common adjective: name kept whole
  EXPECT_EQ(o.name, "red sports car");
  EXPECT_TRUE(o.attributes.empty());
  o = bua::clean_object_name("stop  sign");
  EXPECT_EQ(o.name, "stop  sign");
  o = bua::clean_object_name("red");
  EXPECT_EQ(o.name, "red");
  EXPECT_TRUE(o.attributes.empty());
}

TEST(VgText, AttributesSplitOnAnd) {
  EXPECT_EQ(bua::clean_attribute("Red and White."), (std::vector<std::string>{"red", "white"}));
  EXPECT_EQ(bua::clean_attribute("black and white"), (std::vector<std::string>{"black and white"}));
  EXPECT_EQ(bua::clean_attribute("a and  and b"), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_EQ(bua::clean_attribute("sand"), (std::vector<std::string>{"sand"}));
  EXPECT_EQ(bua::clean_relation(" ON. "), "on");
  EXPECT_EQ(bua::clean_relation("  "), "");
}

TEST(VgCounter, MostCommonKeepsFirstCountedOrderOnTies) {
  bua::OrderedCounter c;
  for (const char* k : {"b", "a", "c", "a", "c", "d"}) c.add(k);
  auto all = c.most_common();
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].first, "a");
  EXPECT_EQ(all[1].first, "c");
  EXPECT_EQ(all[2].first, "b");
  EXPECT_EQ(all[3].first, "d");
  EXPECT_EQ(c.most_common(3).back().first, "b");
}

TEST(VgXml, EscapesLikeElementTree) {
  EXPECT_EQ(bua::xml_escape_ascii("a&b<c>\"d'"), "a&amp;b&lt;c&gt;\"d'");
  EXPECT_EQ(bua::xml_escape_ascii("café 😀"), "caf&#233; &#128512;");
  bua::VocAnnotation a;
  a.folder = "F";
  a.filename = "1.jpg";
  a.image_id = "1";
  a.coco_id = "None";
  a.flickr_id = "3";
  a.width = "10";
  a.height = "20";
  bua::VocObject o;
  o.name = "";
  o.object_id = 9;
  o.xmin = "0", o.ymin = "1", o.xmax = "2", o.ymax = "3";
  o.attributes = {"red"};
  a.objects.push_back(o);
  a.relations.push_back({9, 9, "on"});
  EXPECT_EQ(bua::voc_xml(a),
            "<annotation><folder>F</folder><filename>1.jpg</filename><source><database>Visual Genome Version 1.2"
            "</database><image_id>1</image_id><coco_id>None</coco_id><flickr_id>3</flickr_id></source><size>"
            "<width>10</width><height>20</height><depth>3</depth></size><segmented>0</segmented><object><name />"
            "<object_id>9</object_id><difficult>0</difficult><bndbox><xmin>0</xmin><ymin>1</ymin><xmax>2</xmax>"
            "<ymax>3</ymax></bndbox><attribute>red</attribute></object><relation><subject_id>9</subject_id>"
            "<object_id>9</object_id><predicate>on</predicate></relation></annotation>");
}

TEST(VgXml, NumbersPrintAsPython) {
  EXPECT_EQ(bua::python_str({3, true, 3}), "3");
  EXPECT_EQ(bua::python_str({2.0, false, 0}), "2.0");
  EXPECT_EQ(bua::python_str({10.25, false, 0}), "10.25");
  EXPECT_EQ(bua::python_str({1e16, false, 0}), "1e+16");
  EXPECT_EQ(bua::python_str({1.5e-5, false, 0}), "1.5e-05");
  EXPECT_EQ(bua::python_str(bua::add({3, true, 3}, {0.5, false, 0})), "3.5");
  auto parts = bua::split_vg_url("https://a/b/VG_100K_2/12.jpg", "t");
  EXPECT_EQ(parts.folder, "VG_100K_2");
  EXPECT_EQ(parts.filename, "12.jpg");
  EXPECT_EQ(parts.xml_name, "12.xml");
  EXPECT_EQ(bua::split_vg_url("x/12.png", "t").xml_name, "12.xml");
  EXPECT_NE(error_of([] { bua::split_vg_url("12.jpg", "image 12"); }).find("image 12"), std::string::npos);
}

TEST(VgJsonStream, ReadsOneElementAtATime) {
  TempDir dir;
  bua::write_file_atomic(dir.file("a.json"), " [ {\"a\": \"x],}\\\"\"}, [1, [2]], 3 ,\"s\" ]\n");
  std::vector<std::string> seen;
  bua::for_each_json_element(dir.file("a.json"), [&](const nlohmann::json& e, const bua::JsonStreamPosition& p) {
    EXPECT_EQ(p.index, static_cast<int64_t>(seen.size()));
    seen.push_back(e.dump());
  });
  EXPECT_EQ(seen, (std::vector<std::string>{R"({"a":"x],}\""})", "[1,[2]]", "3", "\"s\""}));
  bua::write_file_atomic(dir.file("empty.json"), "[]");
  int n = 0;
  bua::for_each_json_element(dir.file("empty.json"),
                             [&](const nlohmann::json&, const bua::JsonStreamPosition&) { ++n; });
  EXPECT_EQ(n, 0);
}

TEST(VgJsonStream, MalformedFilesNameFileAndElement) {
  TempDir dir;
  auto err = [&](const std::string& text) {
    bua::write_file_atomic(dir.file("b.json"), text);
    return error_of([&] { bua::for_each_json_element(dir.file("b.json"), [](const auto&, const auto&) {}); });
  };
  EXPECT_NE(err("{\"a\": 1}").find("expected a JSON array"), std::string::npos);
  std::string e = err("[{\"a\": 1}, {\"a\": tru}]");
  EXPECT_NE(e.find("b.json"), std::string::npos);
  EXPECT_NE(e.find("element 1"), std::string::npos);
  EXPECT_NE(err("[{\"a\": 1}, ").find("end of file"), std::string::npos);
  EXPECT_NE(err("[1,]").find("malformed"), std::string::npos);
  EXPECT_NE(err("[1] x").find("after the array"), std::string::npos);
  EXPECT_NE(error_of([&] {
              bua::for_each_json_element(dir.file("none.json"), [](const auto&, const auto&) {});
            }).find("cannot open"),
            std::string::npos);
}

TEST(SetupVg, CountsAttributesFromFirstStringAndJoinsAllOfThem) {
  RawFolder raw;
  raw.write("image_data.json", kTwoImages);
  raw.write("scene_graphs.json", R"([
    {"image_id": 1, "objects": [
        {"object_id": 10, "x": 1, "y": 2, "w": 3, "h": 4, "names": ["Large Red Ball."]},
        {"object_id": 11, "x": 5, "y": 5, "w": 10, "h": 10, "names": ["sports car", "auto"]}],
     "relationships": [{"predicate": "Next To", "subject_id": 10, "object_id": 11},
                       {"predicate": "on", "subject_id": 10, "object_id": 99},
                       {"predicate": "", "subject_id": 10, "object_id": 11}]},
    {"image_id": 2, "objects": [{"object_id": 20, "x": 0, "y": 0, "w": 0, "h": 0, "names": ["ball"]}],
     "relationships": []}])");
  raw.write("attributes.json", R"([
    {"image_id": 1, "attributes": [
        {"object_id": 10, "attributes": ["shiny and new", "round"]},
        {"object_id": 11},
        {"object_id": 10, "attributes": ["red", 5, "ignored after a non-string"]}]},
    {"image_id": 2, "attributes": []}])");
  TempDir out;
  auto r = run(raw, out.path().string());
  EXPECT_EQ(r.images, 2);
  EXPECT_EQ(r.xml_written, 2);
  // Attribute records first (first string only: "shiny and new" and "red"), then adjectives of names.
  EXPECT_EQ(bua::read_file(out.file("attributes_count.txt")), "red\t2\nshiny\t1\nnew\t1\nlarge\t1\n");
  EXPECT_EQ(bua::read_file(out.file("objects_count.txt")), "ball\t2\nsports car\t1\n");
  EXPECT_EQ(bua::read_file(out.file("relations_count.txt")), "next to\t1\non\t1\n");
  std::string xml = bua::read_file(out.file("xml/1.xml"));
  EXPECT_NE(xml.find("<folder>VG_100K</folder><filename>1.jpg</filename>"), std::string::npos);
  EXPECT_NE(xml.find("<coco_id>5</coco_id><flickr_id>None</flickr_id>"), std::string::npos);
  EXPECT_NE(xml.find("<name>ball</name><object_id>10</object_id><difficult>0</difficult><bndbox><xmin>1</xmin>"
                     "<ymin>2</ymin><xmax>4</xmax><ymax>6</ymax></bndbox><attribute>large</attribute>"
                     "<attribute>red</attribute><attribute>shiny</attribute><attribute>new</attribute>"
                     "</object>"),
            std::string::npos)
      << xml;  // "round" is not in the vocabulary: it was never a first string
  EXPECT_EQ(xml.find("round"), std::string::npos);
  // Only the relation whose ends are both kept objects, with a predicate in the vocabulary.
  EXPECT_NE(xml.find("<relation><subject_id>10</subject_id><object_id>11</object_id><predicate>next to</predicate>"
                     "</relation></annotation>"),
            std::string::npos);
  EXPECT_EQ(xml.find("<predicate>on<"), std::string::npos);
  EXPECT_NE(bua::read_file(out.file("xml/2.xml")).find("<folder>VG_100K_2</folder>"), std::string::npos);
}

TEST(SetupVg, VocabularyCutDropsObjectsAndImagesWithoutObjects) {
  RawFolder raw;
  raw.write("image_data.json", kTwoImages);
  raw.write("scene_graphs.json", R"([
    {"image_id": 1, "objects": [{"object_id": 1, "x": 0, "y": 0, "w": 1, "h": 1, "names": ["cat"]},
                                {"object_id": 2, "x": 0, "y": 0, "w": 1, "h": 1, "names": ["cat"]}],
     "relationships": [{"predicate": "near", "subject_id": 1, "object_id": 2}]},
    {"image_id": 2, "objects": [{"object_id": 3, "x": 0, "y": 0, "w": 1, "h": 1, "names": ["dog"]}],
     "relationships": []}])");
  raw.write("attributes.json", "[]");
  TempDir out;
  auto r = run(raw, out.path().string(), 1);
  EXPECT_EQ(r.xml_written, 1);
  EXPECT_EQ(r.stale_xml, 0);
  EXPECT_TRUE(fs::exists(out.file("xml/1.xml")));
  EXPECT_FALSE(fs::exists(out.file("xml/2.xml")));
  // An XML from an earlier run with a larger vocabulary is reported.
  run(raw, out.path().string(), 2);
  EXPECT_TRUE(fs::exists(out.file("xml/2.xml")));
  QuietLog log;
  EXPECT_EQ(run(raw, out.path().string(), 1).stale_xml, 1);
  EXPECT_NE(log.text.str().find("1 XML files were not written by this run"), std::string::npos) << log.text.str();
  EXPECT_EQ(bua::read_file(out.file("objects_vocab_1.txt")), "cat\n");
  EXPECT_EQ(bua::read_file(out.file("attributes_vocab_1.txt")), "");
}

TEST(SetupVg, ObjectsAndRelationshipsFilesReplaceSceneGraphs) {
  RawFolder raw;
  raw.write("image_data.json", kTwoImages);
  raw.write("objects.json", R"([{"image_id": 1, "objects": [
      {"object_id": 1, "x": 0, "y": 0, "w": 1, "h": 1, "names": ["cat"]},
      {"object_id": 2, "x": 2, "y": 0, "w": 1, "h": 1, "name": "dog"}]}])");
  raw.write("relationships.json", R"([{"image_id": 1, "relationships": [
      {"predicate": "chases", "subject": {"object_id": 2, "name": "dog"}, "object": {"object_id": 1}}]}])");
  raw.write("attributes.json", R"([{"image_id": 1, "attributes": [{"object_id": 2, "attributes": ["brown"]}]}])");
  TempDir out;
  auto r = run(raw, out.path().string());
  EXPECT_EQ(r.images, 1);
  std::string xml = bua::read_file(out.file("xml/1.xml"));
  EXPECT_NE(xml.find("<name>dog</name><object_id>2</object_id>"), std::string::npos);
  EXPECT_NE(xml.find("<attribute>brown</attribute>"), std::string::npos);
  EXPECT_NE(xml.find("<subject_id>2</subject_id><object_id>1</object_id><predicate>chases</predicate>"),
            std::string::npos);
}

TEST(SetupVg, UsesAttributesMergedIntoSceneGraphsWhenAttributesFileIsMissing) {
  RawFolder raw;
  raw.write("image_data.json", kTwoImages);
  raw.write("scene_graphs.json", R"([{"image_id": 1, "relationships": [],
      "objects": [{"object_id": 1, "x": 0, "y": 0, "w": 1, "h": 1, "names": ["cat"]}],
      "attributes": [{"image_id": 1, "attribute_id": 0, "attribute": {"object_id": 1, "attributes": ["fat"]}}]}])");
  TempDir out;
  run(raw, out.path().string());
  EXPECT_NE(bua::read_file(out.file("xml/1.xml")).find("<attribute>fat</attribute>"), std::string::npos);

  raw.write("scene_graphs.json", R"([{"image_id": 1, "relationships": [], "objects": []}])");
  std::string e = error_of([&] { run(raw, out.path().string()); });
  EXPECT_NE(e.find("attributes.json"), std::string::npos) << e;
  EXPECT_NE(e.find("not found"), std::string::npos) << e;
}

TEST(SetupVg, BrokenBoxesAreReportedAndSkipped) {
  RawFolder raw;
  raw.write("image_data.json", kTwoImages);
  raw.write("scene_graphs.json", R"([{"image_id": 1, "relationships": [], "objects": [
      {"object_id": 1, "x": 0, "y": 0, "w": 1, "h": 1, "names": ["cat"]},
      {"object_id": 2, "x": "0", "y": 0, "w": 1, "h": 1, "names": ["cat"]},
      {"object_id": 3, "x": 0, "y": 0, "w": -4, "h": 1, "names": ["cat"]},
      {"object_id": 4, "x": 0, "w": 1, "h": 1, "names": ["cat"]},
      {"object_id": 5, "x": 0, "y": 0, "w": 1, "h": 1, "names": []}]}])");
  raw.write("attributes.json", "[]");
  TempDir out;
  QuietLog log;
  auto r = run(raw, out.path().string());
  EXPECT_EQ(r.skipped_objects, 4);
  EXPECT_EQ(bua::read_file(out.file("objects_count.txt")), "cat\t1\n");
  EXPECT_NE(log.text.str().find("image 1, object 3"), std::string::npos) << log.text.str();
}

TEST(SetupVg, ErrorsNameTheFileAndImage) {
  TempDir out;
  auto expect_error = [&](RawFolder& raw, const std::vector<std::string>& parts) {
    std::string e = error_of([&] { run(raw, out.path().string()); });
    for (const auto& p : parts) EXPECT_NE(e.find(p), std::string::npos) << "'" << p << "' not in: " << e;
  };
  RawFolder raw;
  expect_error(raw, {"image_data.json", "not found"});
  raw.write("image_data.json", kTwoImages);
  expect_error(raw, {"neither scene_graphs.json nor objects.json"});
  raw.write("attributes.json", "[]");
  raw.write("scene_graphs.json", R"([{"image_id": 1, "relationships": [], "objects": [{"x": 1}]}])");
  expect_error(raw, {"scene_graphs.json", "image 1", "object_id"});
  raw.write("scene_graphs.json", R"([{"image_id": 1, "objects": []}])");
  expect_error(raw, {"scene_graphs.json", "image 1", "relationships"});
  raw.write("scene_graphs.json", R"([{"image_id": 1, "objects": [], "relationships": [{"predicate": "on"}]}])");
  expect_error(raw, {"image 1", "subject_id"});
  raw.write("scene_graphs.json", R"([{"image_id": 3, "objects": [], "relationships": []}])");
  expect_error(raw, {"image 3", "image_data.json"});
  raw.write("scene_graphs.json", R"([{"image_id": 1, "objects": [], "relationships": []},
                                     {"image_id": 1, "objects": [], "relationships": []}])");
  expect_error(raw, {"image 1", "twice"});
  raw.write("scene_graphs.json", R"([{"image_id": 1, "objects": [], "relationships": []}, {"image_id": 2,)");
  expect_error(raw, {"scene_graphs.json", "element 1"});
  raw.write("scene_graphs.json", R"([{"image_id": 1, "objects": [], "relationships": []}])");
  raw.write("attributes.json", R"([{"image_id": 2, "attributes": []}])");
  expect_error(raw, {"attributes.json", "image 2", "not in"});
  raw.write("attributes.json", R"([{"image_id": 1, "attributes": [{"object_id": 1, "attributes": "red"}]}])");
  expect_error(raw, {"attributes.json", "image 1", "not an array"});
  raw.write("attributes.json", "[]");
  raw.write("image_data.json", R"([{"image_id": 1, "width": 3, "height": 4, "coco_id": null, "flickr_id": null}])");
  expect_error(raw, {"image_data.json", "image 1", "url"});
}

TEST(SetupVgTool, RunsAndFailsCleanly) {
  const std::string tool = std::string(BUA_BIN_DIR) + "/setup_vg";
  ASSERT_TRUE(fs::exists(tool)) << "build the setup_vg target first";
  TempDir out;
  auto ok = bua::testing::run_command(tool + " -q --data-dir " + reference("limited/input") + " --out-dir " +
                                      out.path().string() + " --max-objects 8 --max-attributes 6 --max-relations 4");
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_NE(ok.output.find("xml written: 22"), std::string::npos) << ok.output;
  EXPECT_EQ(bua::read_file(out.file("objects_count.txt")),
            bua::read_file(reference("limited/expected/objects_count.txt")));
  auto bad = bua::testing::run_command(tool + " -q --data-dir " + out.path().string() + " --out-dir " + out.file("o2"));
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("setup_vg: error:"), std::string::npos) << bad.output;
  EXPECT_NE(bad.output.find("image_data.json"), std::string::npos) << bad.output;
}
