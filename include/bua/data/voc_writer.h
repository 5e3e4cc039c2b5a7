// Pascal-VOC style annotation of one Visual Genome image, serialized byte for byte as the original
// setup_vg.py's ElementTree.write() does: no declaration, no whitespace, text escaped (&, <, >), every
// non-ASCII character as a decimal character reference, an empty element as "<tag />".
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace bua {

struct VocObject {
  std::string name;
  int64_t object_id = 0;
  std::string xmin, ymin, xmax, ymax;  // as Python's str() printed them
  std::vector<std::string> attributes;
};

struct VocRelation {
  int64_t subject_id = 0;
  int64_t object_id = 0;
  std::string predicate;
};

struct VocAnnotation {
  std::string folder, filename;
  std::string database = "Visual Genome Version 1.2";
  std::string image_id, coco_id, flickr_id;
  std::string width, height;
  std::vector<VocObject> objects;
  std::vector<VocRelation> relations;
};

// Throws bua::Error naming the image when a text holds a control character XML 1.0 cannot carry.
std::string voc_xml(const VocAnnotation& annotation);

// Text as ElementTree writes it with encoding us-ascii.
std::string xml_escape_ascii(const std::string& utf8_text);

}  // namespace bua
