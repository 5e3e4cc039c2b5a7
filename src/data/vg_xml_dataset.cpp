// The part of Visual Genome loading that reads XML (pugixml); left out of builds without pugixml.
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <pugixml.hpp>

#include "bua/data/splits.h"
#include "bua/data/vg_cache.h"
#include "bua/data/vg_dataset.h"
#include "bua/data/vg_text.h"
#include "bua/util/error.h"
#include "bua/util/log.h"
#include "bua/util/progress.h"

namespace bua {
namespace fs = std::filesystem;

namespace {

std::string text_of(const pugi::xml_node& parent, const char* child) { return parent.child(child).text().get(); }

// Python's float() of an element's text: surrounding whitespace allowed, nothing else.
double number_of(const pugi::xml_node& parent, const char* child, const std::string& where) {
  const std::string text = python_strip(text_of(parent, child));
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size())
    fail(where, std::string("<") + child + "> is not a number: '" + text + "'");
  return v;
}

int size_field(const pugi::xml_node& size, const char* child, const std::string& where) {
  if (!size.child(child)) return -1;
  const double v = number_of(size, child, where);
  if (v < 1 || v > 1e6 || v != static_cast<int>(v)) fail(where, std::string("bad image <") + child + ">");
  return static_cast<int>(v);
}

}  // namespace

VocFileAnnotation read_voc_annotation(const std::string& path) {
  pugi::xml_document doc;
  const pugi::xml_parse_result parsed = doc.load_file(path.c_str());
  if (!parsed) {
    if (parsed.status == pugi::status_file_not_found || parsed.status == pugi::status_io_error)
      fail(path, "cannot read annotation");
    fail(path + " (byte " + std::to_string(parsed.offset) + ")", std::string("malformed XML: ") + parsed.description());
  }
  const pugi::xml_node root = doc.child("annotation");
  if (!root) fail(path, "no <annotation> element");
  VocFileAnnotation a;
  const pugi::xml_node size = root.child("size");
  a.width = size_field(size, "width", path);
  a.height = size_field(size, "height", path);
  int n = 0;
  for (pugi::xml_node obj : root.children("object")) {
    ++n;
    VocObjectText o;
    o.name = text_of(obj, "name");
    o.object_id = text_of(obj, "object_id");
    const std::string where = path + ": object " + std::to_string(n) + " (" + o.name + ")";
    const pugi::xml_node box = obj.child("bndbox");
    if (!box) fail(where, "no <bndbox>");
    o.xmin = number_of(box, "xmin", where);
    o.ymin = number_of(box, "ymin", where);
    o.xmax = number_of(box, "xmax", where);
    o.ymax = number_of(box, "ymax", where);
    for (pugi::xml_node attribute : obj.children("attribute")) o.attributes.push_back(attribute.text().get());
    a.objects.push_back(std::move(o));
  }
  for (pugi::xml_node rel : root.children("relation"))
    a.relations.push_back({text_of(rel, "subject_id"), text_of(rel, "object_id"), text_of(rel, "predicate")});
  return a;
}

VgDataset load_vg_dataset(const VgDatasetPaths& paths, const VgLoadOptions& options) {
  VgDataset d;
  d.name = paths.name;
  d.vocab = load_vg_vocabularies(paths);
  std::vector<SplitEntry> entries = read_split_file(paths.split_file);
  if (paths.max_split_lines >= 0 && static_cast<int64_t>(entries.size()) > paths.max_split_lines)
    entries.resize(static_cast<size_t>(paths.max_split_lines));

  std::string cache;
  uint64_t fingerprint = 0;
  if (!options.cache_dir.empty()) {
    cache = vg_cache_path(paths, options);
    fingerprint = vg_inputs_fingerprint(paths, options, entries);
    if (auto cached = load_vg_cache(cache, fingerprint)) {
      d.records = std::move(cached->records);
      d.report = cached->report;
      return d;
    }
  }

  d.report.split_lines = static_cast<int64_t>(entries.size());
  std::unique_ptr<Progress> progress;
  if (options.progress)
    progress = std::make_unique<Progress>("loading " + paths.split_file, d.report.split_lines, "images");
  for (const SplitEntry& e : entries) {
    if (progress) progress->add();
    const std::string xml = (fs::path(paths.xml_dir) / (std::to_string(e.image_id) + ".xml")).string();
    if (!fs::exists(xml)) {
      ++d.report.missing_annotations;
      continue;
    }
    const VocFileAnnotation a = read_voc_annotation(xml);
    const std::string image = (fs::path(paths.image_root) / e.image_file).string();
    int width = a.width, height = a.height;
    if (options.size_from_image) {
      // The original takes the size from the image file (PIL); the XML's <size> only counts as a mismatch.
      auto wh = image_size_from_header(image);
      if (width >= 0 && height >= 0 && (wh[0] != width || wh[1] != height)) ++d.report.size_mismatches;
      width = wh[0], height = wh[1];
    } else if (width < 0 || height < 0) {
      fail(xml, "no <size><width>/<height> (load with the size from the image instead)");
    }
    VgRecord r = make_vg_record(a, d.vocab, width, height, &d.report.replaced_boxes);
    if (r.boxes.empty()) {
      ++d.report.without_objects;
      continue;
    }
    r.image_id = e.image_id;
    r.image_path = image;
    d.records.push_back(std::move(r));
  }
  if (progress) progress->finish();
  if (!cache.empty()) save_vg_cache(cache, fingerprint, d.records, d.report);
  return d;
}

VgDataset load_vg_dataset(const std::string& name, const std::string& data_root, const VgLoadOptions& options) {
  return load_vg_dataset(resolve_vg_dataset(name, data_root), options);
}

}  // namespace bua
