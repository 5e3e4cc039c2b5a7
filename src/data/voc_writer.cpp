#include "bua/data/voc_writer.h"

namespace bua {

std::string xml_escape_ascii(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x80) {
      if (b == '&')
        out += "&amp;";
      else if (b == '<')
        out += "&lt;";
      else if (b == '>')
        out += "&gt;";
      else
        out += static_cast<char>(b);
      ++i;
      continue;
    }
    // A UTF-8 sequence (the JSON parser has validated it) becomes "&#<code point>;".
    int len = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
    char32_t c = b & (len == 4 ? 0x07 : len == 3 ? 0x0F : 0x1F);
    for (int k = 1; k < len && i + k < text.size(); ++k)
      c = (c << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    out += "&#" + std::to_string(static_cast<uint32_t>(c)) + ";";
    i += len;
  }
  return out;
}

namespace {

void element(std::string& out, const char* tag, const std::string& text) {
  if (text.empty()) {
    out += std::string("<") + tag + " />";
    return;
  }
  out += '<';
  out += tag;
  out += '>';
  out += xml_escape_ascii(text);
  out += "</";
  out += tag;
  out += '>';
}

}  // namespace

std::string voc_xml(const VocAnnotation& a) {
  std::string out = "<annotation>";
  element(out, "folder", a.folder);
  element(out, "filename", a.filename);
  out += "<source>";
  element(out, "database", a.database);
  element(out, "image_id", a.image_id);
  element(out, "coco_id", a.coco_id);
  element(out, "flickr_id", a.flickr_id);
  out += "</source><size>";
  element(out, "width", a.width);
  element(out, "height", a.height);
  element(out, "depth", "3");
  out += "</size>";
  element(out, "segmented", "0");
  for (const VocObject& o : a.objects) {
    out += "<object>";
    element(out, "name", o.name);
    element(out, "object_id", std::to_string(o.object_id));
    element(out, "difficult", "0");
    out += "<bndbox>";
    element(out, "xmin", o.xmin);
    element(out, "ymin", o.ymin);
    element(out, "xmax", o.xmax);
    element(out, "ymax", o.ymax);
    out += "</bndbox>";
    for (const std::string& attribute : o.attributes) element(out, "attribute", attribute);
    out += "</object>";
  }
  for (const VocRelation& r : a.relations) {
    out += "<relation>";
    element(out, "subject_id", std::to_string(r.subject_id));
    element(out, "object_id", std::to_string(r.object_id));
    element(out, "predicate", r.predicate);
    out += "</relation>";
  }
  out += "</annotation>";
  return out;
}

}  // namespace bua
