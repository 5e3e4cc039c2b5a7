// The raw Visual Genome files (image_data.json, scene_graphs.json or objects.json + relationships.json,
// attributes.json), read into compact per-image records. Each file is streamed one image at a time;
// what is kept is only what setup_vg needs (about 1 GB for the 108k images of VG 1.2).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace bua {

// A box coordinate as the JSON had it: integers stay integers so x + w is printed as Python would.
struct JsonNumber {
  double value = 0;
  bool integer = true;
  int64_t int_value = 0;
};
JsonNumber add(const JsonNumber& a, const JsonNumber& b);
std::string python_str(const JsonNumber& n);  // str() of the Python int or float

struct RawObject {
  int64_t object_id = 0;
  JsonNumber x, y, w, h;
  std::string name;  // names[0] (or "name"), uncleaned
};

struct RawRelation {
  int64_t subject_id = 0;
  int64_t object_id = 0;
  std::string predicate;  // uncleaned
};

// One attribute record of attributes.json: the attributes given to one object. Only the strings before
// the first non-string entry are kept, which is what the original's try/except ends up using.
struct RawAttributes {
  int64_t object_id = 0;
  std::vector<std::string> attributes;
};

struct RawSceneGraph {
  int64_t image_id = 0;
  std::vector<RawObject> objects;
  std::vector<RawRelation> relations;
  std::vector<RawAttributes> attributes;
};

struct RawImageInfo {
  int64_t image_id = 0;
  std::string url;
  int64_t width = 0, height = 0;
  std::string coco_id;  // as Python's str() prints it: "None" when null
  std::string flickr_id;
  int64_t coco_number = 0;  // the COCO id when it is a non-zero integer, else 0 (Python's truthiness)
};

struct RawVgOptions {
  bool progress = true;
  int max_reported_problems = 20;  // broken objects reported one by one, then only counted
};

struct RawVg {
  std::vector<RawSceneGraph> scene_graphs;  // in the order of the scene-graph (or objects) file
  std::unordered_map<int64_t, RawImageInfo> images;
  int64_t skipped_objects = 0;  // broken boxes, no name or an empty one: reported and left out
  int64_t normalized_names = 0;  // names, attributes and predicates whose control characters were replaced
  std::vector<std::string> files_read;
};

// Reads image_data.json, in file order; an image id seen twice is an error.
std::vector<RawImageInfo> read_image_data(const std::string& path, bool progress = true);

// Reads a VG folder: image_data.json, then scene_graphs.json if present (else objects.json and
// relationships.json), then attributes.json. When attributes.json is missing, attributes already merged
// into the scene graphs (by the original's AddAttrsToSceneGraphs) are used. The files are only read.
RawVg read_raw_vg(const std::string& data_dir, const RawVgOptions& options = {});

}  // namespace bua
