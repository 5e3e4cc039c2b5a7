// synth_vg: deterministic, VG's field names, distinct classes/attributes/relations drawn where the
// annotation says, and the whole chain synth_vg -> setup_vg -> create_splits -> loading with no download.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <set>

#include "bua/data/setup_vg.h"
#include "bua/data/splits.h"
#include "bua/data/synth_vg.h"
#include "bua/data/vg_dataset.h"
#include "bua/util/atomic_file.h"
#include "bua_test_paths.h"
#include "test_support.h"

namespace fs = std::filesystem;
using bua::testing::TempDir;
using nlohmann::json;

namespace {

bua::SynthVgOptions options_for(const std::string& dir, int64_t images, uint64_t seed = 3) {
  bua::SynthVgOptions o;
  o.out_dir = dir;
  o.images = images;
  o.size = 160;
  o.seed = seed;
  o.progress = false;
  return o;
}

std::map<std::string, std::string> all_files(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) files[fs::relative(e.path(), dir).string()] = bua::read_file(e.path().string());
  return files;
}

json load_json(const std::string& path) { return json::parse(bua::read_file(path)); }

// Shapes whose cell centre is inside the drawn shape.
bool centre_is_filled(const std::string& shape) { return shape != "ring" && shape != "crescent"; }

}  // namespace

TEST(SynthVg, DeterministicUnderSeed) {
  TempDir a, b, c;
  bua::write_synth_vg(options_for(a.path().string(), 6));
  bua::write_synth_vg(options_for(b.path().string(), 6));
  bua::write_synth_vg(options_for(c.path().string(), 6, 4));
  auto fa = all_files(a.path()), fb = all_files(b.path()), fc = all_files(c.path());
  EXPECT_EQ(fa.size(), 11u);  // 5 JSON files + 6 JPEGs
  EXPECT_EQ(fa, fb);
  EXPECT_NE(fa.at("scene_graphs.json"), fc.at("scene_graphs.json"));
  EXPECT_NE(fa.at("VG_100K/1.jpg"), fc.at("VG_100K/1.jpg"));
  // An image depends only on (seed, id): the first images of a bigger set are the same.
  TempDir d;
  bua::write_synth_vg(options_for(d.path().string(), 8));
  EXPECT_EQ(all_files(d.path()).at("VG_100K/6.jpg"), fa.at("VG_100K/6.jpg"));
}

TEST(SynthVg, WritesVisualGenomeFields) {
  TempDir dir;
  auto r = bua::write_synth_vg(options_for(dir.path().string(), 5));
  EXPECT_EQ(r.images, 5);
  const json images = load_json(dir.file("image_data.json"));
  ASSERT_EQ(images.size(), 5u);
  for (const char* k : {"image_id", "url", "width", "height", "coco_id", "flickr_id"})
    EXPECT_TRUE(images[0].contains(k)) << k;
  EXPECT_EQ(images[3]["coco_id"], 1000004);  // every fourth image claims a COCO id
  EXPECT_TRUE(images[0]["coco_id"].is_null());
  const json sg = load_json(dir.file("scene_graphs.json"));
  const json& obj = sg[0]["objects"][0];
  for (const char* k : {"object_id", "x", "y", "w", "h", "names", "synsets"}) EXPECT_TRUE(obj.contains(k)) << k;
  const json& rel = sg[0]["relationships"][0];
  for (const char* k : {"relationship_id", "predicate", "subject_id", "object_id", "synsets"})
    EXPECT_TRUE(rel.contains(k)) << k;
  const json rels = load_json(dir.file("relationships.json"));
  EXPECT_TRUE(rels[0]["relationships"][0]["subject"].contains("object_id"));
  EXPECT_TRUE(rels[0]["relationships"][0]["object"].contains("name"));
  const json objects = load_json(dir.file("objects.json"));
  EXPECT_EQ(objects[0]["objects"], sg[0]["objects"]);
  const json attrs = load_json(dir.file("attributes.json"));
  EXPECT_TRUE(attrs[0]["attributes"][0].contains("attributes"));
  EXPECT_EQ(attrs[0]["attributes"][0]["object_id"], obj["object_id"]);
  EXPECT_EQ(r.objects, [&] {
    int64_t n = 0;
    for (const auto& g : sg) n += static_cast<int64_t>(g["objects"].size());
    return n;
  }());
  cv::Mat im = cv::imread(dir.file("VG_100K/1.jpg"));
  ASSERT_FALSE(im.empty());
  EXPECT_EQ(im.cols, images[0]["width"]);
  EXPECT_EQ(im.rows, images[0]["height"]);
}

TEST(SynthVg, ShapesAreDrawnWhereAndAsAnnotated) {
  bua::SynthVgOptions o = options_for("", 0);
  std::set<std::string> shapes, attributes, predicates;
  std::set<int> sizes;
  int checked = 0, overlapping = 0, several = 0;
  for (int64_t id = 1; id <= 60; ++id) {
    bua::SynthImage im = bua::generate_synth_image(o, id);
    EXPECT_EQ(im.bgr.size(), static_cast<size_t>(im.width * im.height * 3));
    EXPECT_EQ(std::max(im.width, im.height), 160);
    sizes.insert(im.width * 1000 + im.height);
    several += im.objects.size() >= 2;
    for (size_t i = 0; i < im.objects.size(); ++i) {
      const auto& ob = im.objects[i];
      shapes.insert(ob.shape);
      attributes.insert({ob.colour, ob.size, ob.pattern});
      EXPECT_GE(ob.x, 0);
      EXPECT_GE(ob.y, 0);
      EXPECT_LT(ob.x + ob.w, im.width);
      EXPECT_LT(ob.y + ob.h, im.height);
      // The centre of a plain shape nothing was drawn over shows the shape's colour.
      const int cx = ob.x + ob.w / 2, cy = ob.y + ob.h / 2;
      bool covered = false;
      for (size_t j = i + 1; j < im.objects.size(); ++j) {
        const auto& later = im.objects[j];
        covered |= cx >= later.x && cx <= later.x + later.w && cy >= later.y && cy <= later.y + later.h;
      }
      if (ob.pattern != "plain" || covered || !centre_is_filled(ob.shape)) continue;
      const uint8_t* px = &im.bgr[(static_cast<size_t>(cy) * im.width + cx) * 3];
      std::map<std::string, std::array<int, 3>> bgr = {
          {"red", {40, 40, 220}},     {"green", {40, 170, 40}},  {"blue", {210, 90, 30}},    {"yellow", {30, 220, 235}},
          {"orange", {20, 140, 250}}, {"pink", {200, 130, 255}}, {"white", {245, 245, 245}}, {"black", {25, 25, 25}}};
      EXPECT_EQ((std::array<int, 3>{px[0], px[1], px[2]}), bgr.at(ob.colour)) << "image " << id << " " << ob.name;
      ++checked;
    }
    for (const auto& r : im.relations) {
      predicates.insert(r.predicate);
      overlapping += r.predicate == "overlapping";
      EXPECT_NE(r.subject, r.object);
    }
  }
  EXPECT_GT(checked, 20);
  EXPECT_EQ(shapes.size(), bua::synth_shapes().size());
  EXPECT_GE(shapes.size(), 8u);
  EXPECT_EQ(attributes.size(), 13u);
  EXPECT_EQ(predicates.size(), 5u);
  EXPECT_GT(overlapping, 0);
  EXPECT_EQ(sizes.size(), 3u);  // square, landscape, portrait
  EXPECT_GT(several, 50);
}

// Loading reads XML, which needs pugixml (left out of builds without it).
#if BUA_HAVE_PUGIXML
TEST(SynthVg, ChainRunsWithoutDownloads) {
  TempDir root;
  const std::string raw = root.file("vg"), genome = root.file("genome");
  const auto synth = bua::write_synth_vg(options_for(raw, 40));

  bua::SetupVgOptions setup;
  setup.data_dir = raw;
  setup.out_dir = genome;
  setup.progress = false;
  auto prepared = bua::setup_vg(setup);
  EXPECT_EQ(prepared.images, 40);
  EXPECT_EQ(prepared.xml_written, 40);
  EXPECT_EQ(prepared.objects, bua::synth_shapes().size());  // name adjectives were split off
  EXPECT_EQ(prepared.attributes, 13u);
  EXPECT_EQ(prepared.relations, 5u);

  // The same XML from objects.json + relationships.json as from scene_graphs.json.
  const std::string raw2 = root.file("vg2");
  fs::copy(raw, raw2, fs::copy_options::recursive);
  fs::remove(fs::path(raw2) / "scene_graphs.json");
  setup.data_dir = raw2;
  setup.out_dir = root.file("genome2");
  bua::setup_vg(setup);
  EXPECT_EQ(all_files(fs::path(genome) / "xml"), all_files(fs::path(root.file("genome2")) / "xml"));

  bua::CreateSplitsOptions splits;
  splits.image_data = raw + "/image_data.json";
  splits.out_dir = genome;
  splits.val_size = 5;
  splits.test_size = 5;
  auto s = bua::create_splits(splits);
  EXPECT_EQ(s.train, 30);

  fs::create_directories(fs::path(genome) / "synth");
  fs::copy_file(genome + "/objects_vocab_2500.txt", genome + "/synth/objects_vocab.txt");
  fs::copy_file(genome + "/attributes_vocab_1000.txt", genome + "/synth/attributes_vocab.txt");
  fs::copy_file(genome + "/relations_vocab_500.txt", genome + "/synth/relations_vocab.txt");
  bua::VgLoadOptions load;
  load.progress = false;
  load.size_from_image = true;
  bua::VgDataset train = bua::load_vg_dataset(bua::resolve_vg_dataset("vg_synth_train", root.path().string()), load);
  bua::VgDataset val = bua::load_vg_dataset("vg_synth_val", root.path().string(), load);
  EXPECT_EQ(train.records.size(), 30u);
  EXPECT_EQ(val.records.size(), 5u);
  EXPECT_EQ(train.vocab.classes.size(), 11u);
  EXPECT_EQ(train.vocab.attributes.size(), 14u);
  EXPECT_EQ(train.vocab.relations.size(), 6u);

  // Every record is exactly what was drawn: boxes, classes, the three attributes, the relations.
  bua::SynthVgOptions o = options_for(raw, 40);
  int64_t objects = 0;
  for (const auto* d : {&train, &val}) {
    for (const bua::VgRecord& r : d->records) {
      ASSERT_TRUE(fs::exists(r.image_path)) << r.image_path;
      bua::SynthImage im = bua::generate_synth_image(o, r.image_id);
      EXPECT_EQ(r.width, im.width);
      EXPECT_EQ(r.height, im.height);
      ASSERT_EQ(r.boxes.size(), im.objects.size());
      objects += static_cast<int64_t>(r.boxes.size());
      for (size_t i = 0; i < im.objects.size(); ++i) {
        const auto& ob = im.objects[i];
        EXPECT_EQ(r.boxes[i], (bua::BoxF{float(ob.x), float(ob.y), float(ob.x + ob.w), float(ob.y + ob.h)}));
        EXPECT_EQ(d->vocab.classes.name(r.classes[i]), ob.shape);
        std::set<std::string> got;
        for (int a : r.attributes[i])
          if (a) got.insert(d->vocab.attributes.name(a));
        EXPECT_EQ(got, (std::set<std::string>{ob.colour, ob.size, ob.pattern})) << "image " << r.image_id;
      }
      std::set<std::array<int32_t, 3>> want;
      for (const auto& rel : im.relations)
        want.insert({int32_t(rel.subject), d->vocab.relations.index(rel.predicate), int32_t(rel.object)});
      const std::set<std::array<int32_t, 3>> got(r.relations.begin(), r.relations.end());
      EXPECT_EQ(got, want);
    }
  }
  int64_t test_objects = 0;
  for (const auto& e : bua::read_split_file(genome + "/test.txt"))
    test_objects += static_cast<int64_t>(bua::generate_synth_image(o, e.image_id).objects.size());
  EXPECT_EQ(objects + test_objects, synth.objects);
}

#endif  // BUA_HAVE_PUGIXML

TEST(SynthVgTool, Runs) {
  const std::string tool = std::string(BUA_BIN_DIR) + "/synth_vg";
  ASSERT_TRUE(fs::exists(tool)) << "build the synth_vg target first";
  TempDir dir;
  auto ok = bua::testing::run_command(tool + " -q --out " + dir.file("s") + " --images 3 --size 64 --seed 9");
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_NE(ok.output.find("3 images"), std::string::npos) << ok.output;
  EXPECT_TRUE(fs::exists(dir.file("s/VG_100K/3.jpg")));
  auto bad =
      bua::testing::run_command(tool + " --out " + dir.file("t") + " --images 3 --min-objects 5 --max-objects 2");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("synth_vg: error:"), std::string::npos) << bad.output;
}
