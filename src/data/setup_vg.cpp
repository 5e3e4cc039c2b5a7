#include "bua/data/setup_vg.h"

#include <algorithm>
#include <filesystem>
#include <memory>
#include <sstream>

#include "bua/data/vg_text.h"
#include "bua/util/atomic_file.h"
#include "bua/util/error.h"
#include "bua/util/log.h"
#include "bua/util/progress.h"

namespace bua {
namespace fs = std::filesystem;

void OrderedCounter::add(const std::string& key, int64_t n) {
  auto [it, inserted] = index_.emplace(key, keys_.size());
  if (inserted) keys_.emplace_back(key, 0);
  keys_[it->second].second += n;
}

int64_t OrderedCounter::count(const std::string& key) const {
  auto it = index_.find(key);
  return it == index_.end() ? 0 : keys_[it->second].second;
}

std::vector<std::pair<std::string, int64_t>> OrderedCounter::most_common(size_t limit) const {
  auto sorted = keys_;
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  if (sorted.size() > limit) sorted.resize(limit);
  return sorted;
}

VgNameCounts count_vg_names(const std::vector<RawSceneGraph>& graphs) {
  VgNameCounts counts;
  for (const RawSceneGraph& g : graphs) {
    for (const RawAttributes& record : g.attributes)
      if (!record.attributes.empty())
        for (const std::string& a : clean_attribute(record.attributes.front()))
          if (!a.empty()) counts.attributes.add(a);  // "" ("." or "x and  and y"): no vocabulary line for it
    for (const RawRelation& rel : g.relations) {
      std::string predicate = clean_relation(rel.predicate);
      if (!predicate.empty()) counts.relations.add(predicate);
    }
  }
  for (const RawSceneGraph& g : graphs) {
    for (const RawObject& obj : g.objects) {
      CleanObject clean = clean_object_name(obj.name);
      counts.objects.add(clean.name);
      for (const std::string& a : clean.attributes) counts.attributes.add(a);
    }
  }
  return counts;
}

VgUrlParts split_vg_url(const std::string& url, const std::string& where) {
  std::vector<std::string> parts = split_on(url, "/");
  if (parts.size() < 2) fail(where, "url '" + url + "' has no folder/file part");
  VgUrlParts p;
  p.folder = parts[parts.size() - 2];
  p.filename = parts.back();
  // The original replaces ".jpg" by ".xml"; a name without ".jpg" gets ".xml" in place of its extension.
  std::string xml;
  size_t start = 0;
  for (size_t hit = p.filename.find(".jpg"); hit != std::string::npos; hit = p.filename.find(".jpg", start)) {
    xml += p.filename.substr(start, hit - start) + ".xml";
    start = hit + 4;
  }
  if (start == 0) {
    p.xml_name = fs::path(p.filename).replace_extension(".xml").string();
  } else {
    p.xml_name = xml + p.filename.substr(start);
  }
  return p;
}

VocAnnotation annotate_vg_image(const RawSceneGraph& g, const RawImageInfo& info, const VgVocabSets& vocab) {
  const std::string where = "image " + std::to_string(g.image_id);
  VocAnnotation a;
  VgUrlParts url = split_vg_url(info.url, where);
  a.folder = url.folder;
  a.filename = url.filename;
  a.image_id = std::to_string(info.image_id);
  a.coco_id = info.coco_id;
  a.flickr_id = info.flickr_id;
  a.width = std::to_string(info.width);
  a.height = std::to_string(info.height);

  std::unordered_set<int64_t> kept_ids;
  for (const RawObject& obj : g.objects) {
    CleanObject clean = clean_object_name(obj.name);
    if (!vocab.objects.count(clean.name)) continue;
    VocObject o;
    o.name = clean.name;
    o.object_id = obj.object_id;
    kept_ids.insert(obj.object_id);
    o.xmin = python_str(obj.x);
    o.ymin = python_str(obj.y);
    o.xmax = python_str(add(obj.x, obj.w));
    o.ymax = python_str(add(obj.y, obj.h));
    // The original collects a set; first-seen order here (readers treat the attributes as a set).
    std::unordered_set<std::string> seen;
    auto keep = [&](const std::string& attribute) {
      if (vocab.attributes.count(attribute) && seen.insert(attribute).second) o.attributes.push_back(attribute);
    };
    for (const std::string& adjective : clean.attributes) keep(adjective);
    for (const RawAttributes& r : g.attributes) {
      if (r.object_id != obj.object_id) continue;
      for (const std::string& raw : r.attributes)
        for (const std::string& attribute : clean_attribute(raw)) keep(attribute);
    }
    a.objects.push_back(std::move(o));
  }
  for (const RawRelation& rel : g.relations) {
    if (!kept_ids.count(rel.subject_id) || !kept_ids.count(rel.object_id)) continue;
    std::string predicate = clean_relation(rel.predicate);
    if (!vocab.relations.count(predicate)) continue;
    a.relations.push_back(VocRelation{rel.subject_id, rel.object_id, predicate});
  }
  return a;
}

namespace {

void write_counts(const fs::path& path, const OrderedCounter& counter) {
  std::ostringstream out;
  for (const auto& [name, n] : counter.most_common()) out << name << '\t' << n << '\n';
  write_file_atomic(path.string(), out.str());
}

std::unordered_set<std::string> write_vocab(const fs::path& path, const OrderedCounter& counter, size_t limit) {
  std::unordered_set<std::string> kept;
  std::ostringstream out;
  for (const auto& [name, n] : counter.most_common(limit)) {
    kept.insert(name);
    out << name << '\n';
  }
  write_file_atomic(path.string(), out.str());
  return kept;
}

}  // namespace

SetupVgResult setup_vg(const SetupVgOptions& options) {
  if (options.data_dir.empty()) fail("setup_vg", "no data directory given");
  if (options.out_dir.empty()) fail("setup_vg", "no output directory given");
  RawVgOptions raw_options;
  raw_options.progress = options.progress;
  RawVg raw = read_raw_vg(options.data_dir, raw_options);

  SetupVgResult result;
  result.images = static_cast<int64_t>(raw.scene_graphs.size());
  result.skipped_objects = raw.skipped_objects;
  VgNameCounts counts = count_vg_names(raw.scene_graphs);
  result.objects = counts.objects.size();
  result.attributes = counts.attributes.size();
  result.relations = counts.relations.size();

  const fs::path out(options.out_dir);
  std::error_code ec;
  fs::create_directories(out / "xml", ec);
  if (ec) fail((out / "xml").string(), "cannot create: " + ec.message());
  write_counts(out / "objects_count.txt", counts.objects);
  write_counts(out / "attributes_count.txt", counts.attributes);
  write_counts(out / "relations_count.txt", counts.relations);
  VgVocabSets vocab;
  vocab.objects = write_vocab(out / ("objects_vocab_" + std::to_string(options.max_objects) + ".txt"), counts.objects,
                              options.max_objects);
  vocab.attributes = write_vocab(out / ("attributes_vocab_" + std::to_string(options.max_attributes) + ".txt"),
                                 counts.attributes, options.max_attributes);
  vocab.relations = write_vocab(out / ("relations_vocab_" + std::to_string(options.max_relations) + ".txt"),
                                counts.relations, options.max_relations);
  result.objects_vocab = vocab.objects.size();
  result.attributes_vocab = vocab.attributes.size();
  result.relations_vocab = vocab.relations.size();

  std::unique_ptr<Progress> progress;
  if (options.progress) progress = std::make_unique<Progress>("writing xml", result.images, "images");
  std::unordered_set<std::string> written;
  for (const RawSceneGraph& g : raw.scene_graphs) {
    const RawImageInfo& info = raw.images.at(g.image_id);
    VocAnnotation annotation = annotate_vg_image(g, info, vocab);
    if (!annotation.objects.empty()) {
      const std::string name = split_vg_url(info.url, "image " + std::to_string(g.image_id)).xml_name;
      write_file_atomic((out / "xml" / name).string(), voc_xml(annotation));
      written.insert(name);
      ++result.xml_written;
    }
    if (progress) progress->add();
  }
  if (progress) progress->finish();
  // An XML left by an earlier run (other data or limits) would be read as this run's: say so.
  for (const auto& entry : fs::directory_iterator(out / "xml")) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() == ".xml" && !written.count(name)) ++result.stale_xml;
  }
  if (result.stale_xml)
    log_warn((out / "xml").string() + ": " + std::to_string(result.stale_xml) +
             " XML files were not written by this run (left from an earlier one?); loaders will read them");
  return result;
}

}  // namespace bua
