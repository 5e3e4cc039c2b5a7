#include "bua/data/vg_raw.h"

#include <charconv>
#include <cmath>
#include <filesystem>
#include <memory>
#include <unordered_set>

#include "bua/data/json_stream.h"
#include "bua/data/vg_text.h"
#include "bua/util/error.h"
#include "bua/util/log.h"
#include "bua/util/progress.h"

namespace bua {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {
constexpr double kMaxCoordinate = 1e9;  // Visual Genome's images are a few thousand pixels across
}  // namespace

JsonNumber add(const JsonNumber& a, const JsonNumber& b) {
  JsonNumber sum;
  sum.integer = a.integer && b.integer;
  sum.int_value = sum.integer ? a.int_value + b.int_value : 0;
  sum.value = sum.integer ? static_cast<double>(sum.int_value) : a.value + b.value;
  return sum;
}

std::string python_str(const JsonNumber& n) {
  if (n.integer) return std::to_string(n.int_value);
  if (std::isnan(n.value)) return "nan";
  if (std::isinf(n.value)) return n.value > 0 ? "inf" : "-inf";
  // Python's repr: the shortest digits that read back, fixed notation for 1e-4 <= |x| < 1e16, and a
  // ".0" on integral values.
  char buf[64];
  const double mag = std::fabs(n.value);
  const bool fixed = mag == 0 || (mag >= 1e-4 && mag < 1e16);
  auto r =
      std::to_chars(buf, buf + sizeof buf, n.value, fixed ? std::chars_format::fixed : std::chars_format::scientific);
  std::string s(buf, r.ptr);
  if (fixed) {
    if (s.find('.') == std::string::npos) s += ".0";
    return s;
  }
  // to_chars writes "1e+16"/"1.5e-05"; Python pads the exponent to two digits, as printf does.
  const size_t e = s.find('e');
  std::string mantissa = s.substr(0, e), exponent = s.substr(e + 2);
  if (exponent.size() < 2) exponent = "0" + exponent;
  return mantissa + "e" + s[e + 1] + exponent;
}

namespace {

std::string image_where(const std::string& file, int64_t image_id) {
  return file + ": image " + std::to_string(image_id);
}

const json& require(const json& obj, const char* key, const std::string& where) {
  if (!obj.is_object()) fail(where, std::string("expected an object holding '") + key + "'");
  auto it = obj.find(key);
  if (it == obj.end()) fail(where, std::string("missing field '") + key + "'");
  return *it;
}

int64_t as_int(const json& value, const char* key, const std::string& where) {
  if (value.is_number_integer()) return value.get<int64_t>();
  if (value.is_number_float()) {
    double v = value.get<double>();
    if (std::floor(v) == v && std::fabs(v) < 9e15) return static_cast<int64_t>(v);
  }
  fail(where, std::string("field '") + key + "' is not an integer: " + value.dump());
}

int64_t require_int(const json& obj, const char* key, const std::string& where) {
  return as_int(require(obj, key, where), key, where);
}

// "image_id" (VG 1.2 and later) or "id" (VG 1.0).
int64_t image_id_of(const json& element, const std::string& file, int64_t index) {
  const std::string where = file + ": element " + std::to_string(index);
  if (element.is_object() && !element.contains("image_id") && element.contains("id"))
    return require_int(element, "id", where);
  return require_int(element, "image_id", where);
}

const json& require_array(const json& obj, const char* key, const std::string& where) {
  const json& v = require(obj, key, where);
  if (!v.is_array()) fail(where, std::string("field '") + key + "' is not an array");
  return v;
}

std::string python_str_of(const json& v) {
  if (v.is_null()) return "None";
  if (v.is_boolean()) return v.get<bool>() ? "True" : "False";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_number_float()) return python_str(JsonNumber{v.get<double>(), false, 0});
  return v.dump();
}

std::optional<JsonNumber> box_number(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number()) return std::nullopt;
  JsonNumber n;
  n.value = it->get<double>();
  n.integer = it->is_number_integer();
  if (n.integer) n.int_value = it->get<int64_t>();
  return n;
}

// Object name as setup_vg takes it: names[0], or "name" in the files that have a single name.
std::optional<std::string> object_name(const json& obj) {
  auto names = obj.find("names");
  if (names != obj.end() && names->is_array()) {
    if (!names->empty() && (*names)[0].is_string()) return (*names)[0].get<std::string>();
    return std::nullopt;
  }
  auto name = obj.find("name");
  if (name != obj.end() && name->is_string()) return name->get<std::string>();
  return std::nullopt;
}

// Attribute strings of one record: those before the first entry that is not a string.
std::vector<std::string> attribute_strings(const json& record, const std::string& where) {
  std::vector<std::string> out;
  auto it = record.find("attributes");
  if (it == record.end() || it->is_null()) return out;
  if (!it->is_array()) fail(where, "field 'attributes' is not an array");
  for (const json& a : *it) {
    if (!a.is_string()) break;
    out.push_back(a.get<std::string>());
  }
  return out;
}

RawAttributes attribute_record(const json& record, const std::string& where) {
  RawAttributes r;
  r.object_id = require_int(record, "object_id", where);
  r.attributes = attribute_strings(record, where + ", object " + std::to_string(r.object_id));
  return r;
}

// A relationship's end: "subject_id" (scene_graphs.json) or "subject": {"object_id"} (relationships.json).
int64_t relation_end(const json& rel, const char* id_key, const char* object_key, const std::string& where) {
  if (rel.is_object() && rel.contains(id_key)) return require_int(rel, id_key, where);
  if (rel.is_object() && rel.contains(object_key)) return require_int(rel[object_key], "object_id", where);
  fail(where, std::string("missing field '") + id_key + "' (or '" + object_key + "')");
}

RawRelation relation_record(const json& rel, const std::string& where) {
  RawRelation r;
  const json& predicate = require(rel, "predicate", where);
  if (!predicate.is_string()) fail(where, "field 'predicate' is not a string");
  r.predicate = predicate.get<std::string>();
  r.subject_id = relation_end(rel, "subject_id", "subject", where);
  r.object_id = relation_end(rel, "object_id", "object", where);
  return r;
}

class Reader {
 public:
  Reader(const RawVgOptions& options, RawVg& out) : options_(options), out_(out) {}

  // Streams one file, with a progress line when asked.
  void stream(const std::string& path, const std::function<void(const json&, int64_t)>& fn) {
    if (!fs::exists(path)) fail(path, "file not found");
    out_.files_read.push_back(path);
    std::unique_ptr<Progress> progress;
    if (options_.progress)
      progress = std::make_unique<Progress>("reading " + fs::path(path).filename().string(), -1, "images");
    for_each_json_element(path, [&](const json& element, const JsonStreamPosition& pos) {
      fn(element, pos.index);
      if (progress) progress->set(pos.index + 1, pos.file_size > 0 ? double(pos.bytes_read) / pos.file_size : -1.0);
    });
    if (progress) progress->finish();
  }

  void report(const std::string& where, const std::string& problem) {
    ++out_.skipped_objects;
    if (out_.skipped_objects <= options_.max_reported_problems)
      log_warn(where + ": " + problem + "; object skipped");
    else if (out_.skipped_objects == options_.max_reported_problems + 1)
      log_warn("more objects with problems; only counting them from now on");
  }

  // `text` (an object name, attribute or predicate) with control characters normalised (normalize_vg_name):
  // they would make the XML not well-formed and split vocabulary lines. Reported with the image, then counted.
  void normalize(std::string& text, const std::string& where, const char* what) {
    if (!has_control_character(text)) return;
    std::string clean = normalize_vg_name(text);
    ++out_.normalized_names;
    if (out_.normalized_names <= options_.max_reported_problems)
      log_warn(where + ": " + what + " holds control characters; read as '" + clean + "'");
    else if (out_.normalized_names == options_.max_reported_problems + 1)
      log_warn("more names with control characters; only counting them from now on");
    text = std::move(clean);
  }

  RawAttributes attributes(const json& record, const std::string& where) {
    RawAttributes r = attribute_record(record, where);
    for (std::string& a : r.attributes) normalize(a, where + ", object " + std::to_string(r.object_id), "an attribute");
    return r;
  }

  RawRelation relation(const json& rel, const std::string& where) {
    RawRelation r = relation_record(rel, where);
    normalize(r.predicate, where, "a predicate");
    return r;
  }

  // Objects of one image; broken ones are reported and left out.
  std::vector<RawObject> objects(const json& element, const std::string& where) {
    std::vector<RawObject> objects;
    const json& list = require_array(element, "objects", where);
    objects.reserve(list.size());
    for (const json& obj : list) {
      RawObject o;
      o.object_id = require_int(obj, "object_id", where);
      const std::string owhere = where + ", object " + std::to_string(o.object_id);
      auto x = box_number(obj, "x"), y = box_number(obj, "y"), w = box_number(obj, "w"), h = box_number(obj, "h");
      if (!x || !y || !w || !h) {
        report(owhere, "box without numeric x, y, w, h");
        continue;
      }
      if (w->value < 0 || h->value < 0) {
        report(owhere, "box with negative width or height");
        continue;
      }
      // x + w and y + h are written to the XML: beyond any image (and, for integers, near int64's end, where
      // the sum would overflow) a box is corrupt.
      if (!(std::fabs(x->value) <= kMaxCoordinate && std::fabs(y->value) <= kMaxCoordinate &&
            w->value <= kMaxCoordinate && h->value <= kMaxCoordinate)) {
        report(owhere, "box coordinates beyond " + std::to_string(static_cast<int64_t>(kMaxCoordinate)) + " pixels");
        continue;
      }
      auto name = object_name(obj);
      if (!name) {
        report(owhere, "no name");
        continue;
      }
      normalize(*name, owhere, "the name");
      // An empty name would become an empty vocabulary line, which no loader takes back.
      if (clean_object_name(*name).name.empty()) {
        report(owhere, "empty name");
        continue;
      }
      o.x = *x, o.y = *y, o.w = *w, o.h = *h;
      o.name = std::move(*name);
      objects.push_back(std::move(o));
    }
    return objects;
  }

  size_t add_graph(int64_t image_id, const std::string& file) {
    auto [it, inserted] = index_.emplace(image_id, out_.scene_graphs.size());
    if (!inserted) fail(image_where(file, image_id), "image id appears twice");
    out_.scene_graphs.emplace_back();
    out_.scene_graphs.back().image_id = image_id;
    return it->second;
  }

  RawSceneGraph& graph_of(int64_t image_id, const std::string& file, const std::string& graphs_file) {
    auto it = index_.find(image_id);
    if (it == index_.end()) fail(image_where(file, image_id), "image not in " + graphs_file);
    return out_.scene_graphs[it->second];
  }

  void read_scene_graphs(const std::string& path, bool keep_merged_attributes) {
    stream(path, [&](const json& element, int64_t index) {
      const int64_t id = image_id_of(element, path, index);
      const std::string where = image_where(path, id);
      RawSceneGraph& g = out_.scene_graphs[add_graph(id, path)];
      g.objects = objects(element, where);
      for (const json& rel : require_array(element, "relationships", where))
        g.relations.push_back(relation(rel, where));
      if (!keep_merged_attributes) return;
      // Attributes merged in by the original's AddAttrsToSceneGraphs: [{"attribute": {record}}].
      auto merged = element.find("attributes");
      if (merged != element.end() && merged->is_array()) {
        has_attributes_ = true;
        for (const json& a : *merged) g.attributes.push_back(attributes(require(a, "attribute", where), where));
      }
    });
  }

  void read_objects_and_relationships(const std::string& objects_path, const std::string& relationships_path) {
    stream(objects_path, [&](const json& element, int64_t index) {
      const int64_t id = image_id_of(element, objects_path, index);
      RawSceneGraph& g = out_.scene_graphs[add_graph(id, objects_path)];
      g.objects = objects(element, image_where(objects_path, id));
    });
    std::unordered_set<int64_t> seen;
    stream(relationships_path, [&](const json& element, int64_t index) {
      const int64_t id = image_id_of(element, relationships_path, index);
      const std::string where = image_where(relationships_path, id);
      if (!seen.insert(id).second) fail(where, "image id appears twice");
      RawSceneGraph& g = graph_of(id, relationships_path, objects_path);
      for (const json& rel : require_array(element, "relationships", where))
        g.relations.push_back(relation(rel, where));
    });
  }

  void read_attributes(const std::string& path, const std::string& graphs_file) {
    std::unordered_set<int64_t> seen;
    stream(path, [&](const json& element, int64_t index) {
      const int64_t id = image_id_of(element, path, index);
      const std::string where = image_where(path, id);
      if (!seen.insert(id).second) fail(where, "image id appears twice");
      RawSceneGraph& g = graph_of(id, path, graphs_file);
      for (const json& record : require_array(element, "attributes", where))
        g.attributes.push_back(attributes(record, where));
    });
    has_attributes_ = true;
  }

  bool has_attributes() const { return has_attributes_; }

 private:
  const RawVgOptions& options_;
  RawVg& out_;
  std::unordered_map<int64_t, size_t> index_;
  bool has_attributes_ = false;
};

}  // namespace

std::vector<RawImageInfo> read_image_data(const std::string& path, bool progress) {
  if (!fs::exists(path)) fail(path, "file not found");
  std::vector<RawImageInfo> images;
  std::unordered_set<int64_t> seen;
  std::unique_ptr<Progress> bar;
  if (progress) bar = std::make_unique<Progress>("reading image_data.json", -1, "images");
  for_each_json_element(path, [&](const json& element, const JsonStreamPosition& pos) {
    RawImageInfo info;
    info.image_id = image_id_of(element, path, pos.index);
    const std::string where = image_where(path, info.image_id);
    const json& url = require(element, "url", where);
    if (!url.is_string()) fail(where, "field 'url' is not a string");
    info.url = url.get<std::string>();
    // The url names the XML file and fills <folder> and <filename>: no control characters there.
    if (has_control_character(info.url)) fail(where, "field 'url' holds control characters");
    info.width = require_int(element, "width", where);
    info.height = require_int(element, "height", where);
    const json& coco = require(element, "coco_id", where);
    info.coco_id = python_str_of(coco);
    if (coco.is_number_integer()) info.coco_number = coco.get<int64_t>();
    info.flickr_id = python_str_of(require(element, "flickr_id", where));
    if (!seen.insert(info.image_id).second) fail(where, "image id appears twice");
    images.push_back(std::move(info));
    if (bar) bar->set(pos.index + 1, pos.file_size > 0 ? double(pos.bytes_read) / pos.file_size : -1.0);
  });
  return images;
}

RawVg read_raw_vg(const std::string& data_dir, const RawVgOptions& options) {
  RawVg out;
  const fs::path dir(data_dir);
  const std::string image_data = (dir / "image_data.json").string();
  for (RawImageInfo& info : read_image_data(image_data, options.progress))
    out.images.emplace(info.image_id, std::move(info));
  out.files_read.push_back(image_data);

  Reader reader(options, out);
  const std::string scene_graphs = (dir / "scene_graphs.json").string();
  const std::string attributes = (dir / "attributes.json").string();
  const bool attributes_file = fs::exists(attributes);
  std::string graphs_file;
  if (fs::exists(scene_graphs)) {
    graphs_file = scene_graphs;
    reader.read_scene_graphs(scene_graphs, !attributes_file);
  } else {
    const std::string objects = (dir / "objects.json").string();
    const std::string relationships = (dir / "relationships.json").string();
    if (!fs::exists(objects) || !fs::exists(relationships))
      fail(data_dir, "found neither scene_graphs.json nor objects.json + relationships.json");
    graphs_file = objects;
    reader.read_objects_and_relationships(objects, relationships);
  }
  if (attributes_file) {
    reader.read_attributes(attributes, graphs_file);
  } else if (!reader.has_attributes()) {
    fail(attributes, "file not found (and the scene graphs carry no merged attributes)");
  }
  for (const RawSceneGraph& g : out.scene_graphs)
    if (!out.images.count(g.image_id)) fail(image_where(graphs_file, g.image_id), "image not in image_data.json");
  return out;
}

}  // namespace bua
