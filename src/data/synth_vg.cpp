#include "bua/data/synth_vg.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "bua/util/random.h"
#include "bua/util/atomic_file.h"
#include "bua/util/error.h"
#include "bua/util/progress.h"

namespace bua {
namespace fs = std::filesystem;
using nlohmann::json;

const std::vector<std::string>& synth_shapes() {
  static const std::vector<std::string> v{"circle", "square",  "triangle", "star",     "cross",
                                          "ring",   "diamond", "hexagon",  "crescent", "arrow"};
  return v;
}
// Every colour and size is one of setup_vg's common adjectives, so "large red star" splits like VG's names.
const std::vector<std::string>& synth_colours() {
  static const std::vector<std::string> v{"red", "green", "blue", "yellow", "orange", "pink", "white", "black"};
  return v;
}
const std::vector<std::string>& synth_sizes() {
  static const std::vector<std::string> v{"small", "large"};
  return v;
}
const std::vector<std::string>& synth_patterns() {
  static const std::vector<std::string> v{"plain", "striped", "dotted"};
  return v;
}
const std::vector<std::string>& synth_predicates() {
  static const std::vector<std::string> v{"left of", "right of", "above", "below", "overlapping"};
  return v;
}

namespace {

constexpr double kPi = 3.14159265358979323846;

// BGR of each colour of synth_colours().
cv::Vec3b colour_bgr(size_t i) {
  static const cv::Vec3b table[] = {{40, 40, 220},  {40, 170, 40},   {210, 90, 30},   {30, 220, 235},
                                    {20, 140, 250}, {200, 130, 255}, {245, 245, 245}, {25, 25, 25}};
  return table[i];
}

double uniform(SplitMix64& rng, double lo, double hi) {
  return lo + (hi - lo) * static_cast<double>(rng.next() >> 11) * (1.0 / 9007199254740992.0);
}

std::vector<cv::Point> regular_polygon(double cx, double cy, double r, int n, double start) {
  std::vector<cv::Point> p;
  for (int k = 0; k < n; ++k) {
    const double a = start + 2 * kPi * k / n;
    p.emplace_back(cvRound(cx + r * std::cos(a)), cvRound(cy + r * std::sin(a)));
  }
  return p;
}

// The shape's pixels in an s x s cell.
cv::Mat1b shape_mask(const std::string& shape, int s) {
  cv::Mat1b m(s, s, uchar(0));
  const double c = (s - 1) / 2.0, r = (s - 1) / 2.0;
  const cv::Point centre(cvRound(c), cvRound(c));
  auto poly = [&](const std::vector<cv::Point>& p) { cv::fillPoly(m, std::vector<std::vector<cv::Point>>{p}, 255); };
  if (shape == "circle") {
    cv::circle(m, centre, cvRound(r), 255, cv::FILLED);
  } else if (shape == "square") {
    m.setTo(255);
  } else if (shape == "triangle") {
    poly({{cvRound(c), 0}, {s - 1, s - 1}, {0, s - 1}});
  } else if (shape == "star") {
    std::vector<cv::Point> p;
    for (int k = 0; k < 10; ++k) {
      const double a = -kPi / 2 + kPi * k / 5, rr = (k % 2 == 0) ? r : r * 0.42;
      p.emplace_back(cvRound(c + rr * std::cos(a)), cvRound(c + rr * std::sin(a)));
    }
    poly(p);
  } else if (shape == "cross") {
    const int t = std::max(1, s / 3);
    cv::rectangle(m, cv::Rect((s - t) / 2, 0, t, s), 255, cv::FILLED);
    cv::rectangle(m, cv::Rect(0, (s - t) / 2, s, t), 255, cv::FILLED);
  } else if (shape == "ring") {
    cv::circle(m, centre, cvRound(r), 255, cv::FILLED);
    cv::circle(m, centre, cvRound(r * 0.55), 0, cv::FILLED);
  } else if (shape == "diamond") {
    poly({{cvRound(c), 0}, {s - 1, cvRound(c)}, {cvRound(c), s - 1}, {0, cvRound(c)}});
  } else if (shape == "hexagon") {
    poly(regular_polygon(c, c, r, 6, 0));
  } else if (shape == "crescent") {
    cv::circle(m, centre, cvRound(r), 255, cv::FILLED);
    cv::circle(m, cv::Point(cvRound(c + r * 0.45), cvRound(c - r * 0.1)), cvRound(r * 0.8), 0, cv::FILLED);
  } else if (shape == "arrow") {
    const int t = std::max(1, s / 4);
    cv::rectangle(m, cv::Rect(0, (s - t) / 2, s / 2 + 1, t), 255, cv::FILLED);
    poly({{s / 2, 0}, {s - 1, cvRound(c)}, {s / 2, s - 1}});
  }
  return m;
}

bool in_pattern(const std::string& pattern, int x, int y, int s) {
  if (pattern == "striped") {
    const int w = std::max(2, s / 8);
    return ((x + y) / w) % 2 == 1;
  }
  if (pattern == "dotted") {
    const int d = std::max(4, s / 5), r = std::max(1, d / 4);
    const int dx = x % d - d / 2, dy = y % d - d / 2;
    return dx * dx + dy * dy <= r * r;
  }
  return false;
}

// How much two inclusive boxes overlap, relative to the smaller one.
double overlap_of_smaller(const SynthObject& a, const SynthObject& b) {
  const int iw = std::min(a.x + a.w, b.x + b.w) - std::max(a.x, b.x) + 1;
  const int ih = std::min(a.y + a.h, b.y + b.h) - std::max(a.y, b.y) + 1;
  if (iw <= 0 || ih <= 0) return 0;
  const double smaller = std::min((a.w + 1.0) * (a.h + 1.0), (b.w + 1.0) * (b.h + 1.0));
  return iw * ih / smaller;
}

std::string where_is(const SynthObject& a, const SynthObject& b) {
  if (overlap_of_smaller(a, b) > 0) return "overlapping";
  const double dx = (b.x + b.w / 2.0) - (a.x + a.w / 2.0), dy = (b.y + b.h / 2.0) - (a.y + a.h / 2.0);
  if (std::fabs(dx) >= std::fabs(dy)) return dx > 0 ? "left of" : "right of";
  return dy > 0 ? "above" : "below";
}

// Attribute strings of one object as a VG annotator might have typed them: in any order (setup_vg
// counts only the first one of each object), sometimes two joined by "and", sometimes capitalized.
std::vector<std::string> attribute_texts(SynthObject& o, bool name_has_adjectives, SplitMix64& rng) {
  std::vector<std::string> a;
  if (!name_has_adjectives) a = {o.colour, o.size};
  a.push_back(o.pattern);
  rng.shuffle(a);
  if (a.size() >= 2 && rng.below(5) == 0 && a[0] != "black" && a[1] != "white") {
    a[0] = a[0] + " and " + a[1];
    a.erase(a.begin() + 1);
  }
  if (rng.below(10) == 0) {
    a[0][0] = static_cast<char>(std::toupper(static_cast<unsigned char>(a[0][0])));
    a[0] += ".";
  }
  return a;
}

}  // namespace

SynthImage generate_synth_image(const SynthVgOptions& options, int64_t image_id) {
  if (options.size < 32) fail("synth_vg", "--size must be at least 32");
  if (options.min_objects < 1 || options.max_objects < options.min_objects)
    fail("synth_vg", "object counts must satisfy 1 <= min <= max");
  SplitMix64 rng(options.seed * 0x9e3779b97f4a7c15ull ^ (static_cast<uint64_t>(image_id) * 0xd1b54a32d192ed03ull));
  rng.next();
  SynthImage im;
  im.image_id = image_id;
  const int aspect = static_cast<int>(rng.below(3));  // square, landscape, portrait
  im.width = aspect == 2 ? options.size * 3 / 4 : options.size;
  im.height = aspect == 1 ? options.size * 3 / 4 : options.size;
  if (image_id % 4 == 0) im.coco_id = 1000000 + image_id;

  cv::Mat3b canvas(im.height, im.width);
  const int grey = 96 + static_cast<int>(rng.below(64));
  for (int y = 0; y < im.height; ++y)
    for (int x = 0; x < im.width; ++x) {
      const int v = grey + static_cast<int>(rng.below(21)) - 10;
      canvas(y, x) = cv::Vec3b(uchar(v), uchar(v), uchar(v + 4));
    }

  const int wanted = options.min_objects + static_cast<int>(rng.below(options.max_objects - options.min_objects + 1));
  const int short_side = std::min(im.width, im.height);
  for (int n = 0; n < wanted; ++n) {
    SynthObject o;
    o.shape = synth_shapes()[rng.below(synth_shapes().size())];
    const size_t colour = rng.below(synth_colours().size());
    o.colour = synth_colours()[colour];
    o.size = synth_sizes()[rng.below(2)];
    o.pattern = synth_patterns()[rng.below(synth_patterns().size())];
    const double frac = o.size == "small" ? uniform(rng, 0.12, 0.2) : uniform(rng, 0.3, 0.45);
    const int s = std::max(12, static_cast<int>(frac * short_side));
    cv::Mat1b mask = shape_mask(o.shape, s);
    const cv::Rect tight = cv::boundingRect(mask);
    // Place it where it hides at most a third of any shape already drawn (and vice versa).
    bool placed = false;
    int x0 = 0, y0 = 0;
    for (int attempt = 0; attempt < 30 && !placed; ++attempt) {
      x0 = static_cast<int>(rng.below(static_cast<uint64_t>(im.width - s + 1)));
      y0 = static_cast<int>(rng.below(static_cast<uint64_t>(im.height - s + 1)));
      o.x = x0 + tight.x, o.y = y0 + tight.y, o.w = tight.width - 1, o.h = tight.height - 1;
      placed = std::all_of(im.objects.begin(), im.objects.end(),
                           [&](const SynthObject& other) { return overlap_of_smaller(o, other) <= 0.34; });
    }
    if (!placed) continue;
    const cv::Vec3b fill = colour_bgr(colour);
    const int luminance = (fill[0] * 114 + fill[1] * 587 + fill[2] * 299) / 1000;
    const cv::Vec3b contrast = luminance > 128 ? cv::Vec3b(20, 20, 20) : cv::Vec3b(235, 235, 235);
    for (int y = 0; y < s; ++y)
      for (int x = 0; x < s; ++x)
        if (mask(y, x)) canvas(y0 + y, x0 + x) = in_pattern(o.pattern, x, y, s) ? contrast : fill;
    o.object_id = image_id * 100 + static_cast<int64_t>(im.objects.size()) + 1;
    const bool adjectives_in_name = rng.below(4) == 0;
    o.name = adjectives_in_name ? o.size + " " + o.colour + " " + o.shape : o.shape;
    o.attribute_texts = attribute_texts(o, adjectives_in_name, rng);
    im.objects.push_back(std::move(o));
  }
  // Each shape related to one other, by where it is.
  for (size_t i = 0; im.objects.size() > 1 && i < im.objects.size(); ++i) {
    size_t j = rng.below(im.objects.size() - 1);
    if (j >= i) ++j;
    SynthRelation r;
    r.relationship_id = image_id * 100 + static_cast<int64_t>(i) + 1;
    r.subject = i;
    r.object = j;
    r.predicate = where_is(im.objects[i], im.objects[j]);
    im.relations.push_back(r);
  }
  im.bgr.assign(canvas.datastart, canvas.dataend);
  return im;
}

namespace {

json object_json(const SynthObject& o, const char* name_key) {
  json j = {{"object_id", o.object_id}, {"x", o.x}, {"y", o.y}, {"w", o.w}, {"h", o.h}, {"synsets", json::array()}};
  if (std::string(name_key) == "names")
    j["names"] = {o.name};
  else
    j["name"] = o.name;
  return j;
}

// A JSON array written one element at a time through a temp file.
class ArrayFile {
 public:
  explicit ArrayFile(const std::string& path) : file_(path) { file_.write("["); }
  void add(const json& element) {
    file_.write(first_ ? "" : ", ");
    file_.write(element.dump());
    first_ = false;
  }
  void commit() {
    file_.write("]");
    file_.commit();
  }

 private:
  AtomicFile file_;
  bool first_ = true;
};

}  // namespace

SynthVgResult write_synth_vg(const SynthVgOptions& options) {
  if (options.out_dir.empty()) fail("synth_vg", "no output directory given");
  if (options.images < 1) fail("synth_vg", "--images must be at least 1");
  const fs::path out(options.out_dir);
  std::error_code ec;
  fs::create_directories(out / "VG_100K", ec);
  if (ec) fail((out / "VG_100K").string(), "cannot create: " + ec.message());
  ArrayFile image_data((out / "image_data.json").string()), scene_graphs((out / "scene_graphs.json").string()),
      objects((out / "objects.json").string()), relationships((out / "relationships.json").string()),
      attributes((out / "attributes.json").string());
  SynthVgResult result;
  std::unique_ptr<Progress> progress;
  if (options.progress) progress = std::make_unique<Progress>("synth_vg", options.images, "images");
  for (int64_t id = 1; id <= options.images; ++id) {
    SynthImage im = generate_synth_image(options, id);
    const std::string file = std::to_string(id) + ".jpg";
    cv::Mat3b canvas(im.height, im.width, reinterpret_cast<cv::Vec3b*>(im.bgr.data()));
    std::vector<uchar> jpeg;
    if (!cv::imencode(".jpg", canvas, jpeg, {cv::IMWRITE_JPEG_QUALITY, options.jpeg_quality}))
      fail(file, "JPEG encoding failed");
    write_file_atomic((out / "VG_100K" / file).string(), std::string(jpeg.begin(), jpeg.end()));

    image_data.add({{"image_id", id},
                    {"url", "https://synthetic.invalid/VG_100K/" + file},
                    {"width", im.width},
                    {"height", im.height},
                    {"coco_id", im.coco_id ? json(im.coco_id) : json(nullptr)},
                    {"flickr_id", nullptr}});
    json sg_objects = json::array(), attr_records = json::array(), sg_rels = json::array(), rels = json::array();
    for (const SynthObject& o : im.objects) {
      sg_objects.push_back(object_json(o, "names"));
      json record = object_json(o, "names");
      record["attributes"] = o.attribute_texts;
      attr_records.push_back(record);
    }
    for (const SynthRelation& r : im.relations) {
      const SynthObject &s = im.objects[r.subject], &o = im.objects[r.object];
      sg_rels.push_back({{"relationship_id", r.relationship_id},
                         {"predicate", r.predicate},
                         {"subject_id", s.object_id},
                         {"object_id", o.object_id},
                         {"synsets", json::array()}});
      rels.push_back({{"relationship_id", r.relationship_id},
                      {"predicate", r.predicate},
                      {"synsets", json::array()},
                      {"subject", object_json(s, "name")},
                      {"object", object_json(o, "name")}});
    }
    scene_graphs.add({{"image_id", id}, {"objects", sg_objects}, {"relationships", sg_rels}});
    objects.add(
        {{"image_id", id}, {"image_url", "https://synthetic.invalid/VG_100K/" + file}, {"objects", sg_objects}});
    relationships.add({{"image_id", id}, {"relationships", rels}});
    attributes.add({{"image_id", id}, {"attributes", attr_records}});
    ++result.images;
    result.objects += static_cast<int64_t>(im.objects.size());
    result.relations += static_cast<int64_t>(im.relations.size());
    if (progress) progress->add();
  }
  image_data.commit();
  scene_graphs.commit();
  objects.commit();
  relationships.commit();
  attributes.commit();
  if (progress) progress->finish();
  return result;
}

}  // namespace bua
