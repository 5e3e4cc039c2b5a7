// A small synthetic dataset in Visual Genome's raw format, so setup_vg -> create_splits -> loading ->
// training can run with no download. Each image shows a few drawn shapes (10 classes) on a noisy grey
// background; each shape has a colour, a size and a fill pattern (13 attributes), and pairs of shapes
// are related by where they are (5 predicates). Shapes may overlap. Everything follows from the seed.
//   DIR/image_data.json, scene_graphs.json, objects.json, relationships.json, attributes.json
//   DIR/VG_100K/<image_id>.jpg
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace bua {

const std::vector<std::string>& synth_shapes();      // circle, square, triangle, star, cross, ring, ...
const std::vector<std::string>& synth_colours();     // red, green, blue, yellow, orange, pink, white, black
const std::vector<std::string>& synth_sizes();       // small, large
const std::vector<std::string>& synth_patterns();    // plain, striped, dotted
const std::vector<std::string>& synth_predicates();  // left of, right of, above, below, overlapping

struct SynthVgOptions {
  std::string out_dir;
  int64_t images = 100;
  int size = 256;  // longer image side; images are square, 4:3 or 3:4
  uint64_t seed = 0;
  int min_objects = 2, max_objects = 6;
  int jpeg_quality = 95;
  bool progress = true;
};

struct SynthObject {
  int64_t object_id = 0;
  std::string shape, colour, size, pattern;
  int x = 0, y = 0, w = 0, h = 0;            // VG box: the shape covers pixels x..x+w, y..y+h
  std::string name;                          // as written to the JSON ("star", or "large red star")
  std::vector<std::string> attribute_texts;  // as written to attributes.json ("Red.", "red and striped")
};

struct SynthRelation {
  int64_t relationship_id = 0;
  size_t subject = 0, object = 0;  // indices into SynthImage::objects
  std::string predicate;
};

struct SynthImage {
  int64_t image_id = 0;
  int width = 0, height = 0;
  std::vector<uint8_t> bgr;  // height x width x 3
  std::vector<SynthObject> objects;
  std::vector<SynthRelation> relations;
  int64_t coco_id = 0;  // every fourth image claims one (0 = none), for split tests
};

// One image, a function of (seed, image_id, size, object counts) only.
SynthImage generate_synth_image(const SynthVgOptions& options, int64_t image_id);

struct SynthVgResult {
  int64_t images = 0, objects = 0, relations = 0;
};

// Writes the dataset (images 1..options.images); every file through a temp file.
SynthVgResult write_synth_vg(const SynthVgOptions& options);

}  // namespace bua
