// Visual Genome loading: vg.py's rules one by one, the setup_vg reference XMLs against the original's
// loader logic, dataset names, the binary cache, flipping, image headers and the evaluator's view.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <sstream>
#include <thread>

#include "bua/data/vg_cache.h"
#include "bua/data/vg_dataset.h"
#include "bua/data/vg_ground_truth.h"
#include "bua/data/voc_writer.h"
#include "bua/util/atomic_file.h"
#include "bua/util/error.h"
#include "bua/util/log.h"
#include "bua_test_paths.h"
#include "test_support.h"

namespace fs = std::filesystem;
using bua::testing::TempDir;

using bua::testing::error_of;

namespace {

bua::VgVocabularies small_vocab() {
  bua::VgVocabularies v;
  v.classes = bua::Vocab(bua::kBackgroundClass, {{"car", "auto"}, {"tree"}, {"man"}});
  v.attributes = bua::Vocab(bua::kNoAttribute, {{"red"}, {"tall"}, {"grey", "gray"}});
  v.relations = bua::Vocab(bua::kNoRelation, {{"on"}, {"near", "next to"}});
  return v;
}

bua::VocObjectText object(const std::string& name, const std::string& id, double x1, double y1, double x2, double y2,
                          std::vector<std::string> attributes = {}) {
  return bua::VocObjectText{name, id, x1, y1, x2, y2, std::move(attributes)};
}

// Each image of the reference run, as "<id>:<w>,<h>|x1 y1 x2 y2 class attrs.sorted;...|s p o;..." — the
// format of the expectation below.
std::string describe(const bua::VgRecord& r) {
  std::ostringstream out;
  out << r.image_id << ":" << r.width << "," << r.height << "|";
  for (size_t i = 0; i < r.boxes.size(); ++i) {
    std::vector<int> attrs;
    for (int a : r.attributes[i])
      if (a) attrs.push_back(a);
    std::sort(attrs.begin(), attrs.end());
    out << (i ? ";" : "") << r.boxes[i][0] << " " << r.boxes[i][1] << " " << r.boxes[i][2] << " " << r.boxes[i][3]
        << " " << r.classes[i] << " ";
    for (size_t k = 0; k < attrs.size(); ++k) out << (k ? "." : "") << attrs[k];
  }
  out << "|";
  auto rels = r.relations;
  std::sort(rels.begin(), rels.end());
  for (size_t i = 0; i < rels.size(); ++i)
    out << (i ? ";" : "") << rels[i][0] << " " << rels[i][1] << " " << rels[i][2];
  return out.str();
}

// The setup_vg reference XMLs (tests/data/setup_vg/full/expected/xml) loaded with the limited run's
// vocabularies (sorted, "auto" added as a synonym of car and "ontop" of on), images 100..123.
struct ReferenceSplit {
  TempDir dir;
  bua::VgDatasetPaths paths;
  ReferenceSplit() {
    const std::string e = std::string(BUA_TEST_DATA) + "/setup_vg/";
    bua::write_file_atomic(dir.file("objects_vocab.txt"),
                           "car,Auto \nfire hydrant\nman\nshirt\nsign\nstop sign\ntable\ntree\n");
    bua::write_file_atomic(dir.file("attributes_vocab.txt"), "grey\nmetal\nopen\nred\ntall\nwhite\n");
    bua::write_file_atomic(dir.file("relations_vocab.txt"), "in front of\nnear\nnext to\non, ontop\n");
    std::string split;
    for (int id = 100; id <= 123; ++id)
      split += "VG_100K/" + std::to_string(id) + ".jpg xml/" + std::to_string(id) + ".xml\n";
    bua::write_file_atomic(dir.file("split.txt"), split);
    fs::copy(e + "full/expected/xml", dir.path() / "xml");
    paths.name = "vg_ref_split";
    paths.objects_vocab = dir.file("objects_vocab.txt");
    paths.attributes_vocab = dir.file("attributes_vocab.txt");
    paths.relations_vocab = dir.file("relations_vocab.txt");
    paths.split_file = dir.file("split.txt");
    paths.xml_dir = dir.file("xml");
    paths.image_root = dir.file("images");
  }
};

// Computed by the original vg.py loading code (vocab parsing, _load_image_set_index,
// _load_vg_annotation; image sizes from <size>) run in Python on the same files.
const char* kReferenceRecords[] = {
    "100:421,603|66 378 376 500 8 4.6;325 155 392 355 8 4.6|",
    "101:591,353|154 10 305 229 3 4;338 282 564 318 1 |",
    "102:615,601|189 320 578 510 7 ;27 134 345 391 7 5;344 223 575 362 3 1|0 4 1",
    "104:480,413|62 273 124 317 7 2.4.6|",
    "105:738,328|129 23 257 49 1 1.6;130 284 134 309 2 3;333 191 620 259 3 |",
    "106:358,644|283 62 354 395 4 |",
    "108:369,436|105 239 120 363 8 ;23 239 141 300 8 ;93 216 140 403 3 4|",
    "109:550,500|326 61 397 101 3 4.6|",
    "110:453,631|234 493 314 539 3 ;278 589 379 612 7 4.6|0 1 1;1 2 0",
    "112:313,484|68 41 288 471 1 ;161 55 172 265 5 5|",
    "113:711,407|378 73 614 347 5 4.5.6;142 56 315 283 1 ;325 208 342 389 6 3.4|0 2 2",
    "114:384,470|27 96 363 357 5 ;174 411 297 469 1 5|",
    "117:504,702|173 582 333 597 5 6|",
    "119:539,390|40 21 463 79 3 ;177 206 486 376 3 2.3;105 59 382 63 8 3|0 3 1",
    "120:664,574|480 35 555 54 3 3.4.5;41 199 254 341 1 |",
    "121:702,485|268 126 613 382 7 |",
    "122:510,548|423 458 448 498 4 4;213 256 425 297 5 |",
};

// The start of a JPEG: SOI, an APP0 segment, then SOF0 with height 300 and width 420.
void write_jpeg_header(const std::string& path) {
  const unsigned char jpeg[] = {0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x4A, 0x46, 0xFF, 0xC0, 0x00,
                                0x11, 0x08, 0x01, 0x2C, 0x01, 0xA4, 0x03, 0x01, 0x22, 0x00};
  bua::write_file_atomic(path, std::string(reinterpret_cast<const char*>(jpeg), sizeof jpeg));
}

}  // namespace

TEST(VgRecordRules, VocabularyFilterClipAndAttributes) {
  bua::VocFileAnnotation a;
  a.objects.push_back(object("Car ", "1", -5, 2.7, 30.9, 40, {"Red", "blue", "gray", "red"}));
  a.objects.push_back(object("boat", "2", 0, 0, 5, 5, {"red"}));
  a.objects.push_back(object("auto", "3", 10, 10, 500, 500));
  int64_t replaced = 0;
  bua::VgRecord r = bua::make_vg_record(a, small_vocab(), 100, 80, &replaced);
  ASSERT_EQ(r.boxes.size(), 2u);                       // the boat is not in the vocabulary
  EXPECT_EQ(r.boxes[0], (bua::BoxF{0, 2, 30, 40}));    // clipped at 0, truncated like uint16
  EXPECT_EQ(r.boxes[1], (bua::BoxF{10, 10, 99, 79}));  // clipped to W-1, H-1
  EXPECT_EQ(r.classes, (std::vector<int32_t>{1, 1}));  // "auto" is a synonym of car
  std::array<int32_t, 16> attrs{};
  attrs[0] = 1, attrs[1] = 3, attrs[2] = 1;  // red, gray (= grey), red again: kept as the original does
  EXPECT_EQ(r.attributes[0], attrs);
  EXPECT_EQ(r.attributes[1], (std::array<int32_t, 16>{}));
  EXPECT_EQ(replaced, 0);
  EXPECT_EQ(r.width, 100);
  EXPECT_EQ(r.height, 80);
}

TEST(VgRecordRules, InvertedBoxBecomesWholeWidthSquare) {
  bua::VocFileAnnotation a;
  a.objects.push_back(object("tree", "1", 50, 10, 40, 20));   // x2 < x1
  a.objects.push_back(object("tree", "2", 10, 90, 20, 100));  // y1 past the bottom: y2 clipped below y1
  a.objects.push_back(object("tree", "3", 10, 10, 10, 10));   // a single pixel is fine
  a.objects.push_back(object("tree", "4", NAN, 5, 20, NAN));  // NaN: max/min keep the bound, as Python
  int64_t replaced = 0;
  bua::VgRecord r = bua::make_vg_record(a, small_vocab(), 100, 60, &replaced);
  EXPECT_EQ(r.boxes[0], (bua::BoxF{0, 0, 99, 99}));  // (0, 0, W-1, W-1): the width in y2 too
  EXPECT_EQ(r.boxes[1], (bua::BoxF{0, 0, 99, 99}));
  EXPECT_EQ(r.boxes[2], (bua::BoxF{10, 10, 10, 10}));
  EXPECT_EQ(r.boxes[3], (bua::BoxF{0, 5, 20, 59}));
  EXPECT_EQ(replaced, 2);
}

TEST(VgRecordRules, AtMostSixteenAttributes) {
  bua::VocFileAnnotation a;
  std::vector<std::string> many(20, "tall");
  many[0] = "unknown";
  a.objects.push_back(object("man", "1", 0, 0, 1, 1, many));
  bua::VgRecord r = bua::make_vg_record(a, small_vocab(), 10, 10);
  for (int k = 0; k < 16; ++k) EXPECT_EQ(r.attributes[0][k], 2);
}

TEST(VgRecordRules, RelationsNeedKeptEndsAndKnownPredicates) {
  bua::VocFileAnnotation a;
  a.objects.push_back(object("man", "10", 0, 0, 1, 1));
  a.objects.push_back(object("boat", "11", 0, 0, 1, 1));
  a.objects.push_back(object("tree", "12", 0, 0, 1, 1));
  a.relations = {{"10", "12", "On"},      {"10", "12", "on"},  // duplicate triple kept once
                 {"12", "10", "next to"}, {"10", "11", "on"},  // boat was dropped
                 {"10", "12", "under"},   {"10", "12", ""},    // unknown / empty predicate
                 {"10", "99", "on"}};
  bua::VgRecord r = bua::make_vg_record(a, small_vocab(), 10, 10);
  EXPECT_EQ(r.relations, (std::vector<std::array<int32_t, 3>>{{0, 1, 1}, {1, 2, 0}}));
}

TEST(VgRecordRules, NoObjectInVocabularyGivesEmptyRecord) {
  bua::VocFileAnnotation a;
  a.objects.push_back(object("boat", "1", 0, 0, 1, 1));
  EXPECT_TRUE(bua::make_vg_record(a, small_vocab(), 10, 10).boxes.empty());
}

TEST(VgFlip, MirrorsBoxesAndRoundTrips) {
  bua::VgRecord r;
  r.image_id = 5;
  r.width = 100;
  r.height = 50;
  r.boxes = {{0, 1, 99, 2}, {10, 0, 30, 49}};
  r.classes = {1, 2};
  r.attributes.resize(2);
  bua::VgRecord f = bua::flipped_record(r);
  EXPECT_TRUE(f.flipped);
  EXPECT_EQ(f.boxes[0], (bua::BoxF{0, 1, 99, 2}));
  EXPECT_EQ(f.boxes[1], (bua::BoxF{69, 0, 89, 49}));
  EXPECT_EQ(bua::flipped_record(f).boxes, r.boxes);
  std::vector<bua::VgRecord> all{r};
  bua::append_flipped(all);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_FALSE(all[0].flipped);
  EXPECT_TRUE(all[1].flipped);
  EXPECT_EQ(all[1].boxes, f.boxes);
  r.boxes[0][2] = 100;  // wider than the image
  EXPECT_THROW(bua::flipped_record(r), bua::Error);
}

TEST(VgNames, ResolveLikeTheOriginalFactory) {
  auto p = bua::resolve_vg_dataset("vg_1600-400-20_train", "/d");
  EXPECT_EQ(p.name, "vg_1600-400-20_train");
  EXPECT_EQ(p.objects_vocab, "/d/genome/1600-400-20/objects_vocab.txt");
  EXPECT_EQ(p.attributes_vocab, "/d/genome/1600-400-20/attributes_vocab.txt");
  EXPECT_EQ(p.relations_vocab, "/d/genome/1600-400-20/relations_vocab.txt");
  EXPECT_EQ(p.split_file, "/d/genome/train.txt");
  EXPECT_EQ(p.xml_dir, "/d/genome/xml");
  EXPECT_EQ(p.image_root, "/d/vg");
  EXPECT_EQ(p.max_split_lines, -1);
  p = bua::resolve_vg_dataset("vg_1600-400-20_minitrain", "/d");
  EXPECT_EQ(p.split_file, "/d/genome/train.txt");
  EXPECT_EQ(p.max_split_lines, 1000);
  p = bua::resolve_vg_dataset("vg_1600-400-20_minival");
  EXPECT_EQ(p.split_file, "data/genome/val.txt");
  EXPECT_EQ(p.max_split_lines, 100);
  EXPECT_EQ(bua::resolve_vg_dataset("vg_2500-1000-500_test").objects_vocab,
            "data/genome/2500-1000-500/objects_vocab.txt");
  for (const char* bad : {"coco_2014_train", "vg_train", "vg__train", "vg_1600-400-20_"})
    EXPECT_NE(error_of([&] { bua::resolve_vg_dataset(bad); }).find("vg_<version>_<split>"), std::string::npos) << bad;
}

TEST(VgImageHeader, JpegAndPngSizes) {
  TempDir dir;
  write_jpeg_header(dir.file("a.jpg"));
  EXPECT_EQ(bua::image_size_from_header(dir.file("a.jpg")), (std::array<int, 2>{420, 300}));
  const unsigned char png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0, 0, 13,
                               'I',  'H', 'D', 'R', 0,    0,    2,    0,    0, 0, 1, 0x10};
  bua::write_file_atomic(dir.file("b.png"), std::string(reinterpret_cast<const char*>(png), sizeof png));
  EXPECT_EQ(bua::image_size_from_header(dir.file("b.png")), (std::array<int, 2>{512, 272}));
  bua::write_file_atomic(dir.file("c.jpg"), "GIF89a....");
  EXPECT_NE(error_of([&] { bua::image_size_from_header(dir.file("c.jpg")); }).find("c.jpg"), std::string::npos);
}

// A record clipped to an image smaller than its annotation said: boxes clipped again under vg.py's rule,
// the same as clipping the XML's boxes to that size in the first place.
TEST(VgRecordRules, ClippedToTheDecodedSize) {
  bua::VocFileAnnotation a;
  a.objects = {object("car", "1", 10, 20, 300, 200), object("tree", "2", 250, 5, 290, 30),
               object("man", "3", 0, 150, 50, 190)};
  const bua::VgRecord at_xml_size = bua::make_vg_record(a, small_vocab(), 320, 240);
  int64_t replaced = 0;
  const bua::VgRecord clipped = bua::clipped_to_size(at_xml_size, 200, 160, &replaced);
  const bua::VgRecord direct = bua::make_vg_record(a, small_vocab(), 200, 160);
  EXPECT_EQ(clipped.width, 200);
  EXPECT_EQ(clipped.height, 160);
  EXPECT_EQ(clipped.boxes, direct.boxes);
  EXPECT_EQ(clipped.boxes[0], (bua::BoxF{10, 20, 199, 159}));
  EXPECT_EQ(clipped.boxes[1], (bua::BoxF{0, 0, 199, 199}));  // starts right of x = 199: replaced, W-1 in y2
  EXPECT_EQ(replaced, 1);
  EXPECT_EQ(clipped.classes, at_xml_size.classes);
  EXPECT_NE(error_of([&] { bua::clipped_to_size(bua::flipped_record(at_xml_size), 200, 160); }).find("before flipping"),
            std::string::npos);
}

// Reading XML needs pugixml (left out of builds without it).
#if BUA_HAVE_PUGIXML
TEST(VgDatasetLoad, SizeFromImageHeaders) {
  TempDir dir;
  write_jpeg_header(dir.file("a.jpg"));
  // Loading with the size from the image: 420 wide instead of the XML's.
  ReferenceSplit ref;
  fs::create_directories(ref.dir.path() / "images" / "VG_100K");
  for (int id = 100; id <= 123; ++id)
    fs::copy_file(dir.file("a.jpg"), ref.dir.file("images/VG_100K/" + std::to_string(id) + ".jpg"));
  bua::VgLoadOptions options;
  options.progress = false;
  options.size_from_image = true;
  bua::VgDataset d = bua::load_vg_dataset(ref.paths, options);
  ASSERT_FALSE(d.records.empty());
  EXPECT_EQ(d.records[0].width, 420);
  EXPECT_EQ(d.records[0].height, 300);
  // (66, 378, 376, 500) starts below the header's last row 299: replaced by (0, 0, W-1, W-1).
  EXPECT_EQ(d.records[0].boxes[0], (bua::BoxF{0, 0, 419, 419}));
  EXPECT_EQ(d.records[0].boxes[1], (bua::BoxF{325, 155, 392, 299}));
  // Every XML whose <size> is not the image's 420x300 is counted as a mismatch.
  int64_t differing = 0;
  for (int id = 100; id <= 123; ++id) {
    const std::string xml = ref.dir.file("xml/" + std::to_string(id) + ".xml");
    if (!fs::exists(xml)) continue;
    const bua::VocFileAnnotation a = bua::read_voc_annotation(xml);
    differing += a.width != 420 || a.height != 300;
  }
  EXPECT_GT(differing, 0);
  EXPECT_EQ(d.report.size_mismatches, differing);
  // The cache keeps the count.
  options.cache_dir = ref.dir.file("cache");
  bua::load_vg_dataset(ref.paths, options);
  const bua::VgDataset cached = bua::load_vg_dataset(ref.paths, options);
  EXPECT_TRUE(cached.report.from_cache);
  EXPECT_EQ(cached.report.size_mismatches, differing);
}

TEST(VgXmlRead, ReadsWhatSetupVgWrites) {
  TempDir dir;
  bua::VocAnnotation a;
  a.folder = "VG_100K";
  a.filename = "7.jpg";
  a.image_id = "7";
  a.coco_id = a.flickr_id = "None";
  a.width = "640";
  a.height = "480";
  a.objects.push_back({"café & bar", 70, "1", "2", "30", "40", {"red", "<odd>"}});
  a.objects.push_back({"tree", 71, "5", "6", "7.5", "8", {}});
  a.relations.push_back({70, 71, "near"});
  bua::write_file_atomic(dir.file("7.xml"), bua::voc_xml(a));
  bua::VocFileAnnotation r = bua::read_voc_annotation(dir.file("7.xml"));
  EXPECT_EQ(r.width, 640);
  EXPECT_EQ(r.height, 480);
  ASSERT_EQ(r.objects.size(), 2u);
  EXPECT_EQ(r.objects[0].name, "café & bar");
  EXPECT_EQ(r.objects[0].object_id, "70");
  EXPECT_EQ(r.objects[0].xmax, 30);
  EXPECT_EQ(r.objects[0].attributes, (std::vector<std::string>{"red", "<odd>"}));
  EXPECT_EQ(r.objects[1].xmax, 7.5);
  ASSERT_EQ(r.relations.size(), 1u);
  EXPECT_EQ(r.relations[0].subject_id, "70");
  EXPECT_EQ(r.relations[0].predicate, "near");
}

TEST(VgXmlRead, ErrorsNameTheFile) {
  TempDir dir;
  bua::write_file_atomic(dir.file("bad.xml"), "<annotation><object><name>x</name>");
  std::string e = error_of([&] { bua::read_voc_annotation(dir.file("bad.xml")); });
  EXPECT_NE(e.find("bad.xml"), std::string::npos) << e;
  EXPECT_NE(e.find("malformed XML"), std::string::npos) << e;
  bua::write_file_atomic(dir.file("nan.xml"),
                         "<annotation><object><name>tree</name><bndbox><xmin>1</xmin><ymin>a</ymin><xmax>2</xmax>"
                         "<ymax>3</ymax></bndbox></object></annotation>");
  e = error_of([&] { bua::read_voc_annotation(dir.file("nan.xml")); });
  EXPECT_NE(e.find("nan.xml: object 1 (tree)"), std::string::npos) << e;
  EXPECT_NE(e.find("<ymin>"), std::string::npos) << e;
  bua::write_file_atomic(dir.file("other.xml"), "<doc/>");
  EXPECT_NE(error_of([&] { bua::read_voc_annotation(dir.file("other.xml")); }).find("<annotation>"), std::string::npos);
}

TEST(VgDatasetLoad, ReferenceXmlsMatchTheOriginalLoader) {
  ReferenceSplit ref;
  bua::VgLoadOptions options;
  options.progress = false;
  bua::VgDataset d = bua::load_vg_dataset(ref.paths, options);
  EXPECT_EQ(d.vocab.classes.size(), 9u);
  EXPECT_EQ(d.vocab.attributes.size(), 7u);
  EXPECT_EQ(d.vocab.relations.size(), 5u);
  EXPECT_EQ(d.report.split_lines, 24);
  EXPECT_EQ(d.report.missing_annotations, 1);  // 107 has no XML
  EXPECT_EQ(d.report.without_objects, 6);
  EXPECT_FALSE(d.report.from_cache);
  std::vector<std::string> got;
  for (const auto& r : d.records) got.push_back(describe(r));
  EXPECT_EQ(got, std::vector<std::string>(std::begin(kReferenceRecords), std::end(kReferenceRecords)));
  EXPECT_EQ(d.records[0].image_path, ref.dir.file("images/VG_100K/100.jpg"));

  ref.paths.max_split_lines = 3;  // like minitrain: only the first lines count
  d = bua::load_vg_dataset(ref.paths, options);
  EXPECT_EQ(d.report.split_lines, 3);
  EXPECT_EQ(d.records.size(), 3u);
}

TEST(VgDatasetLoad, CacheReloadsAndNoticesChanges) {
  ReferenceSplit ref;
  bua::VgLoadOptions options;
  options.progress = false;
  options.cache_dir = ref.dir.file("cache");
  bua::VgDataset first = bua::load_vg_dataset(ref.paths, options);
  const std::string cache = bua::vg_cache_path(ref.paths, options);
  EXPECT_EQ(cache, ref.dir.file("cache/vg_ref_split_gt_roidb.bin"));
  ASSERT_TRUE(fs::exists(cache));
  bua::VgDataset second = bua::load_vg_dataset(ref.paths, options);
  EXPECT_TRUE(second.report.from_cache);
  EXPECT_EQ(second.report.without_objects, first.report.without_objects);
  ASSERT_EQ(second.records.size(), first.records.size());
  for (size_t i = 0; i < first.records.size(); ++i) EXPECT_EQ(describe(second.records[i]), describe(first.records[i]));
  EXPECT_EQ(second.records[3].image_path, first.records[3].image_path);

  // An edited XML: object 1 of image 106 renamed out of the vocabulary.
  const std::string xml = ref.dir.file("xml/106.xml");
  std::string text = bua::read_file(xml);
  text.replace(text.find("<name>shirt</name>"), 18, "<name>boat</name>");
  bua::write_file_atomic(xml, text);
  bua::VgDataset third = bua::load_vg_dataset(ref.paths, options);
  EXPECT_FALSE(third.report.from_cache);
  EXPECT_EQ(third.records.size(), first.records.size() - 1);
  EXPECT_TRUE(bua::load_vg_dataset(ref.paths, options).report.from_cache);

  // A changed vocabulary.
  bua::write_file_atomic(ref.paths.objects_vocab, "tree\n");
  bua::VgDataset fourth = bua::load_vg_dataset(ref.paths, options);
  EXPECT_FALSE(fourth.report.from_cache);
  EXPECT_EQ(fourth.vocab.classes.size(), 2u);

  // A damaged cache is rebuilt (with a warning).
  std::string bytes = bua::read_file(cache);
  bua::write_file_atomic(cache, bytes.substr(0, bytes.size() - 5));
  std::ostringstream log;
  bua::set_log_stream(&log);
  bua::VgDataset fifth = bua::load_vg_dataset(ref.paths, options);
  bua::set_log_stream(nullptr);
  EXPECT_FALSE(fifth.report.from_cache);
  EXPECT_NE(log.str().find("damaged cache"), std::string::npos);
  EXPECT_EQ(fifth.records.size(), fourth.records.size());
}

TEST(VgDatasetLoad, MissingInputsAreErrors) {
  ReferenceSplit ref;
  bua::VgLoadOptions options;
  options.progress = false;
  auto paths = ref.paths;
  paths.split_file = ref.dir.file("nope.txt");
  EXPECT_NE(error_of([&] { bua::load_vg_dataset(paths, options); }).find("nope.txt"), std::string::npos);
  paths = ref.paths;
  paths.relations_vocab = ref.dir.file("none_vocab.txt");
  EXPECT_NE(error_of([&] { bua::load_vg_dataset(paths, options); }).find("none_vocab.txt"), std::string::npos);
}

TEST(VgGroundTruth, FeedsTheEvaluator) {
  ReferenceSplit ref;
  bua::VgLoadOptions options;
  options.progress = false;
  bua::VgDataset d = bua::load_vg_dataset(ref.paths, options);
  bua::VgGroundTruth gt = bua::vg_ground_truth(d);
  EXPECT_NO_THROW(bua::validate_vg_ground_truth(gt, "test"));
  ASSERT_EQ(gt.images.size(), d.records.size());
  EXPECT_EQ(gt.classes[0], "__background__");
  EXPECT_EQ(gt.attributes[0], "__no_attribute__");
  EXPECT_EQ(gt.images[0].boxes[0], (std::array<int, 4>{66, 378, 376, 500}));
  EXPECT_EQ(gt.images[0].attributes[0].size(), 2u);
  bua::append_flipped(d.records);
  EXPECT_THROW(bua::vg_ground_truth(d), bua::Error);
}
#endif  // BUA_HAVE_PUGIXML
