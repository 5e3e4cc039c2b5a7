#include "bua/data/vg_dataset.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <unordered_map>

#include "bua/data/vg_text.h"
#include "bua/util/error.h"

namespace bua {
namespace fs = std::filesystem;

VgDatasetPaths resolve_vg_dataset(const std::string& name, const std::string& data_root) {
  const size_t last = name.rfind('_');
  if (name.rfind("vg_", 0) != 0 || last == std::string::npos || last <= 3 || last + 1 == name.size())
    fail(name, "not a Visual Genome dataset name (expected vg_<version>_<split>, e.g. vg_1600-400-20_train)");
  const std::string version = name.substr(3, last - 3);
  std::string split = name.substr(last + 1);
  VgDatasetPaths p;
  p.name = name;
  if (split == "minitrain") {
    split = "train";
    p.max_split_lines = 1000;
  } else if (split == "minival") {
    split = "val";
    p.max_split_lines = 100;
  }
  const fs::path genome = fs::path(data_root) / "genome";
  p.objects_vocab = (genome / version / "objects_vocab.txt").string();
  p.attributes_vocab = (genome / version / "attributes_vocab.txt").string();
  p.relations_vocab = (genome / version / "relations_vocab.txt").string();
  p.split_file = (genome / (split + ".txt")).string();
  p.xml_dir = (genome / "xml").string();
  p.image_root = (fs::path(data_root) / "vg").string();
  return p;
}

VgVocabularies load_vg_vocabularies(const VgDatasetPaths& paths) {
  VgVocabularies v;
  v.classes = Vocab::load(paths.objects_vocab, kBackgroundClass);
  v.attributes = Vocab::load(paths.attributes_vocab, kNoAttribute);
  v.relations = Vocab::load(paths.relations_vocab, kNoRelation);
  return v;
}

namespace {

// Python's max(a, b) / min(a, b): the first argument wins unless the second compares greater / less
// (so a NaN coordinate yields the bound, as in the original).
double py_max(double a, double b) { return b > a ? b : a; }
double py_min(double a, double b) { return b < a ? b : a; }

// numpy's float -> uint16 store of a value already in range: truncation.
float as_uint16(double v) { return static_cast<float>(std::trunc(v)); }

}  // namespace

VgRecord make_vg_record(const VocFileAnnotation& a, const VgVocabularies& vocab, int width, int height,
                        int64_t* replaced) {
  VgRecord r;
  r.width = width;
  r.height = height;
  std::unordered_map<std::string, int32_t> index_of_object;
  for (const VocObjectText& obj : a.objects) {
    const int cls = vocab.classes.index(obj.name);
    if (cls < 0) continue;
    double x1 = py_max(0, obj.xmin), y1 = py_max(0, obj.ymin);
    double x2 = py_min(width - 1, obj.xmax), y2 = py_min(height - 1, obj.ymax);
    if (x2 < x1 || y2 < y1) {
      x1 = 0, y1 = 0, x2 = width - 1, y2 = width - 1;
      if (replaced) ++*replaced;
    }
    const auto ix = static_cast<int32_t>(r.boxes.size());
    index_of_object[obj.object_id] = ix;
    r.boxes.push_back({as_uint16(x1), as_uint16(y1), as_uint16(x2), as_uint16(y2)});
    r.classes.push_back(cls);
    std::array<int32_t, kMaxAttributesPerObject> attrs{};
    int n = 0;
    for (const std::string& name : obj.attributes) {
      const int index = vocab.attributes.index(name);
      if (index >= 0) attrs[n++] = index;
      if (n >= kMaxAttributesPerObject) break;
    }
    r.attributes.push_back(attrs);
  }
  std::set<std::array<int32_t, 3>> seen;
  for (const VocRelationText& rel : a.relations) {
    if (rel.predicate.empty()) continue;
    const int predicate = vocab.relations.index(rel.predicate);
    auto s = index_of_object.find(rel.subject_id), o = index_of_object.find(rel.object_id);
    if (predicate < 0 || s == index_of_object.end() || o == index_of_object.end()) continue;
    std::array<int32_t, 3> triple{s->second, predicate, o->second};
    if (seen.insert(triple).second) r.relations.push_back(triple);
  }
  return r;
}

VgRecord clipped_to_size(const VgRecord& record, int width, int height, int64_t* replaced) {
  if (record.flipped) fail("image " + std::to_string(record.image_id), "clip the record before flipping it");
  VgRecord r = record;
  r.width = width;
  r.height = height;
  for (BoxF& b : r.boxes) {
    double x1 = py_max(0, b[0]), y1 = py_max(0, b[1]);
    double x2 = py_min(width - 1, b[2]), y2 = py_min(height - 1, b[3]);
    if (x2 < x1 || y2 < y1) {
      x1 = 0, y1 = 0, x2 = width - 1, y2 = width - 1;
      if (replaced) ++*replaced;
    }
    b = {as_uint16(x1), as_uint16(y1), as_uint16(x2), as_uint16(y2)};
  }
  return r;
}

VgRecord flipped_record(const VgRecord& record) {
  VgRecord f = record;
  f.flipped = !record.flipped;
  const float w1 = static_cast<float>(record.width - 1);
  for (BoxF& b : f.boxes) {
    const float x1 = b[0], x2 = b[2];
    b[0] = w1 - x2;
    b[2] = w1 - x1;
    if (b[2] < b[0] || b[0] < 0)
      fail("image " + std::to_string(record.image_id),
           "box outside the image width " + std::to_string(record.width) + " cannot be flipped");
  }
  return f;
}

void append_flipped(std::vector<VgRecord>& records) {
  const size_t n = records.size();
  records.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) records.push_back(flipped_record(records[i]));
}

std::array<int, 2> image_size_from_header(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open image");
  auto byte = [&]() {
    int c = in.get();
    if (c < 0) fail(path, "image header ends early");
    return c;
  };
  auto be16 = [&]() { return (byte() << 8) | byte(); };
  unsigned char head[8];
  for (auto& h : head) h = static_cast<unsigned char>(byte());
  static const unsigned char kPng[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  if (std::equal(head, head + 8, kPng)) {
    in.seekg(16);  // length, "IHDR", then width and height, big-endian
    const int w = (be16() << 16) | be16(), h = (be16() << 16) | be16();
    return {w, h};
  }
  if (head[0] != 0xFF || head[1] != 0xD8) fail(path, "neither a JPEG nor a PNG file");
  in.seekg(2);
  while (true) {
    int c = byte();
    if (c != 0xFF) fail(path, "corrupt JPEG marker");
    int marker = byte();
    while (marker == 0xFF) marker = byte();
    if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue;
    if (marker == 0xD9 || marker == 0xDA) fail(path, "JPEG without a frame header");
    const int length = be16();
    const bool sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (sof) {
      byte();  // precision
      const int h = be16(), w = be16();
      return {w, h};
    }
    if (length < 2) fail(path, "corrupt JPEG segment");
    in.seekg(length - 2, std::ios::cur);
  }
}

}  // namespace bua
