#include "bua/eval/vg_eval_data.h"

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <unordered_set>

#include "bua/util/atomic_file.h"
#include "bua/util/box_check.h"
#include "bua/util/error.h"

namespace bua {
namespace {

using nlohmann::json;

// Where a field sits, for messages: "images[3].boxes[2]".
std::string item(const std::string& path, size_t i) { return path + "[" + std::to_string(i) + "]"; }
std::string member(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

const json& require(const json& obj, const std::string& key, const std::string& path, const std::string& source) {
  if (!obj.is_object()) fail(source, (path.empty() ? "top level" : path) + ": expected a JSON object");
  auto it = obj.find(key);
  if (it == obj.end()) fail(source, member(path, key) + ": missing");
  return *it;
}

const json& require_array(const json& obj, const std::string& key, const std::string& path, const std::string& source) {
  const json& v = require(obj, key, path, source);
  if (!v.is_array()) fail(source, member(path, key) + ": expected an array");
  return v;
}

int64_t as_integer(const json& v, const std::string& path, const std::string& source) {
  if (!v.is_number_integer()) fail(source, path + ": expected an integer");
  return v.get<int64_t>();
}

int as_int_in(const json& v, int64_t lo, int64_t hi, const std::string& path, const std::string& source) {
  int64_t x = as_integer(v, path, source);
  if (x < lo || x > hi) {
    fail(source,
         path + ": " + std::to_string(x) + " is out of range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  return static_cast<int>(x);
}

std::vector<std::string> parse_names(const json& doc, const std::string& key, const std::string& source) {
  const json& arr = require_array(doc, key, "", source);
  if (arr.empty()) fail(source, key + ": empty (index 0 must be the background / no-attribute entry)");
  std::vector<std::string> names;
  for (size_t i = 0; i < arr.size(); ++i) {
    if (!arr[i].is_string()) fail(source, item(key, i) + ": expected a string");
    names.push_back(arr[i].get<std::string>());
  }
  return names;
}

VgGtImage parse_image(const json& im, const std::string& path, const VgGroundTruth& gt, const std::string& source) {
  VgGtImage out;
  out.image_id = as_integer(require(im, "image_id", path, source), member(path, "image_id"), source);
  out.width = as_int_in(require(im, "width", path, source), 0, INT32_MAX, member(path, "width"), source);
  out.height = as_int_in(require(im, "height", path, source), 0, INT32_MAX, member(path, "height"), source);

  const json& boxes = require_array(im, "boxes", path, source);
  const json& classes = require_array(im, "classes", path, source);
  const json& attributes = require_array(im, "attributes", path, source);
  const std::string boxes_path = member(path, "boxes");
  for (size_t b = 0; b < boxes.size(); ++b) {
    const json& box = boxes[b];
    if (!box.is_array() || box.size() != 4) fail(source, item(boxes_path, b) + ": expected [x1, y1, x2, y2]");
    std::array<int, 4> xyxy{};
    // The original holds gt boxes as uint16.
    for (size_t k = 0; k < 4; ++k) xyxy[k] = as_int_in(box[k], 0, 65535, item(item(boxes_path, b), k), source);
    out.boxes.push_back(xyxy);
  }
  if (classes.size() != boxes.size()) {
    fail(source, member(path, "classes") + ": " + std::to_string(classes.size()) + " entries for " +
                     std::to_string(boxes.size()) + " boxes");
  }
  if (attributes.size() != boxes.size()) {
    fail(source, member(path, "attributes") + ": " + std::to_string(attributes.size()) + " entries for " +
                     std::to_string(boxes.size()) + " boxes");
  }
  const int64_t max_class = static_cast<int64_t>(gt.classes.size()) - 1;
  const int64_t max_attribute = static_cast<int64_t>(gt.attributes.size()) - 1;
  for (size_t b = 0; b < classes.size(); ++b) {
    out.classes.push_back(as_int_in(classes[b], 1, max_class, item(member(path, "classes"), b), source));
  }
  for (size_t b = 0; b < attributes.size(); ++b) {
    const std::string apath = item(member(path, "attributes"), b);
    if (!attributes[b].is_array()) fail(source, apath + ": expected an array of attribute indices");
    std::vector<int> attrs;
    for (size_t k = 0; k < attributes[b].size(); ++k) {
      attrs.push_back(as_int_in(attributes[b][k], 0, max_attribute, item(apath, k), source));
    }
    out.attributes.push_back(std::move(attrs));
  }
  return out;
}

json read_json(const std::string& path) {
  std::string text = read_file(path);
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    fail(path, std::string("malformed JSON: ") + e.what());
  }
}

// "<image_id>" keys must be the decimal id exactly as the original's str(index) writes it.
int64_t parse_image_key(const std::string& key, const std::string& path, const std::string& source) {
  int64_t id = 0;
  auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), id);
  if (ec != std::errc() || end != key.data() + key.size() || std::to_string(id) != key) {
    fail(source, path + ": \"" + key + "\" is not an image id");
  }
  return id;
}

DetectionTable parse_task(const json& task, const std::string& task_name, const std::vector<std::string>& names,
                          const VgGroundTruth& gt, const std::unordered_map<int64_t, size_t>& position,
                          const std::string& source) {
  if (!task.is_object()) fail(source, task_name + ": expected an object of " + task_name + " names");
  std::unordered_map<std::string, size_t> index;
  for (size_t c = 1; c < names.size(); ++c) index.emplace(names[c], c);

  // Rows stay empty for classes the file does not list: a full table of 1600 x 5000 empty lists alone
  // would take ~190 MB.
  DetectionTable table(names.size());
  for (auto cls = task.begin(); cls != task.end(); ++cls) {
    const std::string cpath = task_name + "." + cls.key();
    auto found = index.find(cls.key());
    if (found == index.end()) fail(source, cpath + ": not a name in the ground truth's " + task_name);
    if (!cls->is_object()) fail(source, cpath + ": expected an object of image ids");
    for (auto im = cls->begin(); im != cls->end(); ++im) {
      const std::string ipath = cpath + "." + im.key();
      int64_t id = parse_image_key(im.key(), ipath, source);
      auto pos = position.find(id);
      if (pos == position.end()) fail(source, ipath + ": image " + im.key() + " is not in the ground truth");
      if (!im->is_array()) fail(source, ipath + ": expected an array of [x1, y1, x2, y2, score]");
      auto& row = table[found->second];
      if (row.empty()) row.resize(gt.images.size());
      auto& out = row[pos->second];
      for (size_t k = 0; k < im->size(); ++k) {
        const json& d = (*im)[k];
        bool ok = d.is_array() && d.size() == 5;
        for (size_t j = 0; ok && j < 5; ++j) ok = d[j].is_number();
        if (!ok) fail(source, item(ipath, k) + ": expected [x1, y1, x2, y2, score] (5 numbers)");
        const std::string problem = box_problem(d[0].get<double>(), d[1].get<double>(), d[2].get<double>(),
                                                d[3].get<double>());
        if (!problem.empty()) fail(source, item(ipath, k) + ": " + problem);
        if (!std::isfinite(d[4].get<double>())) fail(source, item(ipath, k) + ": the score is not a finite number");
        out.push_back(
            {d[0].get<double>(), d[1].get<double>(), d[2].get<double>(), d[3].get<double>(), d[4].get<double>()});
      }
    }
  }
  return table;
}

json task_to_json(const DetectionTable& table, const std::vector<std::string>& names, const VgGroundTruth& gt,
                  const std::string& task_name) {
  if (table.size() != names.size()) {
    fail(task_name + " detections",
         std::to_string(table.size()) + " rows for " + std::to_string(names.size()) + " names");
  }
  json out = json::object();
  for (size_t c = 1; c < table.size(); ++c) {
    if (table[c].empty()) continue;
    if (table[c].size() != gt.images.size()) {
      fail(task_name + " detections", names[c] + ": " + std::to_string(table[c].size()) + " images for " +
                                          std::to_string(gt.images.size()) + " in the ground truth");
    }
    json per_image = json::object();
    for (size_t i = 0; i < table[c].size(); ++i) {
      if (table[c][i].empty()) continue;
      json list = json::array();
      for (const EvalDetection& d : table[c][i]) list.push_back({d.x1, d.y1, d.x2, d.y2, d.score});
      per_image[std::to_string(gt.images[i].image_id)] = std::move(list);
    }
    if (!per_image.empty()) out[names[c]] = std::move(per_image);
  }
  return out;
}

}  // namespace

void validate_vg_ground_truth(const VgGroundTruth& gt, const std::string& where) {
  if (gt.classes.empty()) fail(where, "classes: empty");
  if (gt.attributes.empty()) fail(where, "attributes: empty");
  std::unordered_set<std::string> seen;
  for (const auto& n : gt.classes) {
    if (!seen.insert(n).second) fail(where, "classes: \"" + n + "\" appears twice");
  }
  seen.clear();
  for (const auto& n : gt.attributes) {
    if (!seen.insert(n).second) fail(where, "attributes: \"" + n + "\" appears twice");
  }
  std::unordered_set<int64_t> ids;
  const int num_classes = static_cast<int>(gt.classes.size());
  const int num_attributes = static_cast<int>(gt.attributes.size());
  for (size_t i = 0; i < gt.images.size(); ++i) {
    const VgGtImage& im = gt.images[i];
    const std::string path = item("images", i);
    if (!ids.insert(im.image_id).second) {
      fail(where, path + ": image_id " + std::to_string(im.image_id) + " appears twice");
    }
    if (im.classes.size() != im.boxes.size() || im.attributes.size() != im.boxes.size()) {
      fail(where, path + ": boxes, classes and attributes differ in length");
    }
    for (size_t b = 0; b < im.boxes.size(); ++b) {
      for (int v : im.boxes[b]) {
        if (v < 0 || v > 65535) fail(where, item(path + ".boxes", b) + ": coordinate out of range [0, 65535]");
      }
      if (im.classes[b] < 1 || im.classes[b] >= num_classes) {
        fail(where, item(path + ".classes", b) + ": class index out of range");
      }
      for (int a : im.attributes[b]) {
        if (a < 0 || a >= num_attributes) fail(where, item(path + ".attributes", b) + ": attribute index out of range");
      }
    }
  }
}

DetectionTable make_detection_table(size_t num_classes, size_t num_images) {
  return DetectionTable(num_classes, std::vector<std::vector<EvalDetection>>(num_images));
}

VgGroundTruth parse_vg_ground_truth(const json& doc, const std::string& source) {
  if (!doc.is_object()) fail(source, "top level: expected a JSON object");
  VgGroundTruth gt;
  gt.classes = parse_names(doc, "classes", source);
  gt.attributes = parse_names(doc, "attributes", source);
  const json& images = require_array(doc, "images", "", source);
  for (size_t i = 0; i < images.size(); ++i) gt.images.push_back(parse_image(images[i], item("images", i), gt, source));
  validate_vg_ground_truth(gt, source);
  return gt;
}

VgGroundTruth load_vg_ground_truth(const std::string& path) { return parse_vg_ground_truth(read_json(path), path); }

VgDetections parse_vg_detections(const json& doc, const VgGroundTruth& gt, const std::string& source) {
  if (!doc.is_object()) fail(source, "top level: expected a JSON object");
  if (!doc.contains("objects") && !doc.contains("attributes")) {
    fail(source, "objects / attributes: missing (need at least one of them)");
  }
  std::unordered_map<int64_t, size_t> position;
  for (size_t i = 0; i < gt.images.size(); ++i) position.emplace(gt.images[i].image_id, i);
  VgDetections dets;
  if (doc.contains("objects"))
    dets.objects = parse_task(doc.at("objects"), "objects", gt.classes, gt, position, source);
  if (doc.contains("attributes")) {
    dets.attributes = parse_task(doc.at("attributes"), "attributes", gt.attributes, gt, position, source);
  }
  return dets;
}

VgDetections load_vg_detections(const std::string& path, const VgGroundTruth& gt) {
  return parse_vg_detections(read_json(path), gt, path);
}

json vg_ground_truth_to_json(const VgGroundTruth& gt) {
  json images = json::array();
  for (const VgGtImage& im : gt.images) {
    json boxes = json::array();
    for (const auto& b : im.boxes) boxes.push_back({b[0], b[1], b[2], b[3]});
    images.push_back({{"image_id", im.image_id},
                      {"width", im.width},
                      {"height", im.height},
                      {"boxes", std::move(boxes)},
                      {"classes", im.classes},
                      {"attributes", im.attributes}});
  }
  return {{"classes", gt.classes}, {"attributes", gt.attributes}, {"images", std::move(images)}};
}

json vg_detections_to_json(const VgDetections& dets, const VgGroundTruth& gt) {
  json out = json::object();
  if (dets.objects) out["objects"] = task_to_json(*dets.objects, gt.classes, gt, "objects");
  if (dets.attributes) out["attributes"] = task_to_json(*dets.attributes, gt.attributes, gt, "attributes");
  return out;
}

void save_vg_ground_truth(const std::string& path, const VgGroundTruth& gt) {
  write_file_atomic(path, vg_ground_truth_to_json(gt).dump(1) + "\n");
}

void save_vg_detections(const std::string& path, const VgDetections& dets, const VgGroundTruth& gt) {
  write_file_atomic(path, vg_detections_to_json(dets, gt).dump() + "\n");
}

}  // namespace bua
