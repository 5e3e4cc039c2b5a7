// Visual Genome preparation, as the original data/genome/setup_vg.py: count the cleaned object,
// attribute and relation names, keep the most frequent, and write one Pascal-VOC XML per image.
// Unlike the original it never rewrites the raw files (it joins attributes.json in memory).
//   out_dir/objects_count.txt, attributes_count.txt, relations_count.txt   "name<TAB>count", most first
//   out_dir/objects_vocab_<max>.txt, ...                                   one name per line
//   out_dir/xml/<image>.xml                                                images keeping >= 1 object
#pragma once
#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "bua/data/vg_raw.h"
#include "bua/data/voc_writer.h"

namespace bua {

// collections.Counter as setup_vg.py uses it: counts in first-counted order; most_common() sorts by count
// and keeps that order among equal counts.
class OrderedCounter {
 public:
  void add(const std::string& key, int64_t n = 1);
  std::vector<std::pair<std::string, int64_t>> most_common(size_t limit = SIZE_MAX) const;
  size_t size() const { return keys_.size(); }
  int64_t count(const std::string& key) const;

 private:
  std::unordered_map<std::string, size_t> index_;
  std::vector<std::pair<std::string, int64_t>> keys_;
};

struct VgNameCounts {
  OrderedCounter objects, attributes, relations;
};

// The counting passes: attributes (first string of each attribute record) and relations of every image,
// then object names and the adjectives split off them.
VgNameCounts count_vg_names(const std::vector<RawSceneGraph>& graphs);

struct VgVocabSets {
  std::unordered_set<std::string> objects, attributes, relations;
};

// The annotation of one image with the vocabularies kept; no objects means no XML for the image.
VocAnnotation annotate_vg_image(const RawSceneGraph& graph, const RawImageInfo& info, const VgVocabSets& vocab);

// "https://.../VG_100K_2/123.jpg" -> folder "VG_100K_2", file "123.jpg", annotation name "123.xml".
struct VgUrlParts {
  std::string folder, filename, xml_name;
};
VgUrlParts split_vg_url(const std::string& url, const std::string& where);

struct SetupVgOptions {
  std::string data_dir;  // raw VG files
  std::string out_dir;   // counts, vocabs and xml/
  size_t max_objects = 2500;
  size_t max_attributes = 1000;
  size_t max_relations = 500;
  bool progress = true;
};

struct SetupVgResult {
  int64_t images = 0;                                 // scene graphs read
  int64_t xml_written = 0;                            // images keeping at least one object
  int64_t skipped_objects = 0;                        // broken boxes / no name
  int64_t stale_xml = 0;                              // XML files in out_dir/xml this run did not write (reported)
  size_t objects = 0, attributes = 0, relations = 0;  // distinct names counted
  size_t objects_vocab = 0, attributes_vocab = 0, relations_vocab = 0;
};

SetupVgResult setup_vg(const SetupVgOptions& options);

}  // namespace bua
