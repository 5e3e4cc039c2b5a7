#include "bua/data/voc_writer.h"

#include "bua/util/error.h"

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

// XML 1.0 has no way to write C0 control characters other than tab, newline and carriage return, not even as
// character references: a name holding one would make the file not well-formed. setup_vg normalises names
// when it reads them (normalize_vg_name); this is the last guard, naming the image.
void check_xml_text(const std::string& image_id, const char* tag, const std::string& text) {
  for (char ch : text) {
    const auto b = static_cast<unsigned char>(ch);
    if (b < 0x20 && b != '\t' && b != '\n' && b != '\r')
      fail("image " + image_id, std::string("<") + tag + "> would hold control character " + std::to_string(b) +
                                    ", which XML cannot carry");
  }
}

void element(std::string& out, const std::string& image_id, const char* tag, const std::string& text) {
  check_xml_text(image_id, tag, text);
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
  element(out, a.image_id, "folder", a.folder);
  element(out, a.image_id, "filename", a.filename);
  out += "<source>";
  element(out, a.image_id, "database", a.database);
  element(out, a.image_id, "image_id", a.image_id);
  element(out, a.image_id, "coco_id", a.coco_id);
  element(out, a.image_id, "flickr_id", a.flickr_id);
  out += "</source><size>";
  element(out, a.image_id, "width", a.width);
  element(out, a.image_id, "height", a.height);
  element(out, a.image_id, "depth", "3");
  out += "</size>";
  element(out, a.image_id, "segmented", "0");
  for (const VocObject& o : a.objects) {
    out += "<object>";
    element(out, a.image_id, "name", o.name);
    element(out, a.image_id, "object_id", std::to_string(o.object_id));
    element(out, a.image_id, "difficult", "0");
    out += "<bndbox>";
    element(out, a.image_id, "xmin", o.xmin);
    element(out, a.image_id, "ymin", o.ymin);
    element(out, a.image_id, "xmax", o.xmax);
    element(out, a.image_id, "ymax", o.ymax);
    out += "</bndbox>";
    for (const std::string& attribute : o.attributes) element(out, a.image_id, "attribute", attribute);
    out += "</object>";
  }
  for (const VocRelation& r : a.relations) {
    out += "<relation>";
    element(out, a.image_id, "subject_id", std::to_string(r.subject_id));
    element(out, a.image_id, "object_id", std::to_string(r.object_id));
    element(out, a.image_id, "predicate", r.predicate);
    out += "</relation>";
  }
  out += "</annotation>";
  return out;
}

}  // namespace bua
