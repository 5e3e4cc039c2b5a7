#include "bua/data/splits.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bua/data/py_random.h"
#include "bua/data/setup_vg.h"
#include "bua/data/vg_raw.h"
#include "bua/data/vg_text.h"
#include "bua/util/atomic_file.h"
#include "bua/util/error.h"

namespace bua {
namespace fs = std::filesystem;

namespace {

// Lines of a text file without their line ends ("\n" or "\r\n").
std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open");
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  if (in.bad()) fail(path, "read error");
  return lines;
}

bool parse_int(const std::string& text, int64_t& value) {
  if (text.empty()) return false;
  size_t used = 0;
  try {
    value = std::stoll(text, &used);
  } catch (const std::exception&) {
    return false;
  }
  return used == text.size();
}

}  // namespace

std::vector<SplitEntry> read_split_file(const std::string& path) {
  std::vector<SplitEntry> entries;
  const auto lines = read_lines(path);
  for (size_t n = 0; n < lines.size(); ++n) {
    const std::string where = path + ":" + std::to_string(n + 1);
    std::vector<std::string> fields = python_split(lines[n]);
    if (fields.empty()) continue;
    if (fields.size() != 2) fail(where, "expected '<image file> <annotation file>', got '" + lines[n] + "'");
    SplitEntry e{fields[0], fields[1], 0};
    // int(ann_file.split('/')[-1].split('.')[0])
    std::string name = e.annotation_file.substr(e.annotation_file.rfind('/') + 1);
    if (!parse_int(name.substr(0, name.find('.')), e.image_id))
      fail(where, "annotation file '" + e.annotation_file + "' is not named <image id>.xml");
    entries.push_back(std::move(e));
  }
  return entries;
}

void write_split_file(const std::string& path, const std::vector<SplitEntry>& entries) {
  std::string text;
  for (const SplitEntry& e : entries) text += e.image_file + " " + e.annotation_file + "\n";
  write_file_atomic(path, text);
}

std::unordered_set<int64_t> read_karpathy_list(const std::string& path) {
  std::unordered_set<int64_t> ids;
  const auto lines = read_lines(path);
  for (size_t n = 0; n < lines.size(); ++n) {
    if (python_strip(lines[n]).empty()) continue;
    // int(line.split('.')[0].split('_')[-1])
    std::string head = lines[n].substr(0, lines[n].find('.'));
    std::string digits = python_strip(head.substr(head.rfind('_') + 1));
    int64_t id = 0;
    if (!parse_int(digits, id))
      fail(path + ":" + std::to_string(n + 1), "no COCO id in '" + lines[n] + "' (expected ..._<digits>.jpg)");
    ids.insert(id);
  }
  return ids;
}

std::unordered_set<int64_t> read_coco_image_ids(const std::string& path) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for a number like 1e309
    fail(path, std::string("malformed JSON: ") + e.what());
  }
  if (!doc.is_object() || !doc.contains("images") || !doc["images"].is_array())
    fail(path, "expected an object with an 'images' array");
  std::unordered_set<int64_t> ids;
  for (const auto& image : doc["images"]) {
    if (!image.is_object() || !image.contains("id") || !image["id"].is_number_integer())
      fail(path, "an entry of 'images' has no integer 'id'");
    ids.insert(image["id"].get<int64_t>());
  }
  return ids;
}

CreateSplitsResult create_splits(const CreateSplitsOptions& options) {
  if (options.val_size < 0 || options.test_size < 0) fail("create_splits", "split sizes must be >= 0");
  const fs::path out(options.out_dir);
  const std::string names[3] = {"train.txt", "val.txt", "test.txt"};
  for (const auto& name : names)
    if (!options.overwrite && fs::exists(out / name))
      fail((out / name).string(), "exists (use --overwrite to replace it)");
  auto load = [](const std::string& path, auto reader) {
    return path.empty() ? std::unordered_set<int64_t>{} : reader(path);
  };
  const auto k_train = load(options.karpathy_train, read_karpathy_list);
  const auto k_val = load(options.karpathy_val, read_karpathy_list);
  const auto k_test = load(options.karpathy_test, read_karpathy_list);
  const auto coco_test = load(options.coco_test, read_coco_image_ids);

  const std::vector<RawImageInfo> images = read_image_data(options.image_data, false);
  CreateSplitsResult r;
  r.images = static_cast<int64_t>(images.size());
  std::unordered_set<int64_t> train, val, test;
  std::vector<int64_t> remainder;
  for (const RawImageInfo& info : images) {
    const int64_t coco = info.coco_number;
    if (coco) ++r.with_coco_id;
    if (coco && k_train.count(coco)) {
      ++r.in_karpathy_train;
      train.insert(info.image_id);
    } else if (coco && k_val.count(coco)) {
      ++r.in_karpathy_val;
      val.insert(info.image_id);
    } else if (coco && (k_test.count(coco) || coco_test.count(coco))) {
      ++(k_test.count(coco) ? r.in_karpathy_test : r.in_coco_test);
      test.insert(info.image_id);
    } else {
      remainder.push_back(info.image_id);
    }
  }
  if (static_cast<int64_t>(val.size()) > options.val_size)
    fail(options.image_data, std::to_string(val.size()) + " images are in Karpathy val, more than the val size " +
                                 std::to_string(options.val_size));
  if (static_cast<int64_t>(test.size()) > options.test_size)
    fail(options.image_data, std::to_string(test.size()) +
                                 " images are in Karpathy/COCO test, more than the test size " +
                                 std::to_string(options.test_size));
  const int64_t needed =
      options.test_size - static_cast<int64_t>(test.size()) + options.val_size - static_cast<int64_t>(val.size());
  if (needed > static_cast<int64_t>(remainder.size()))
    fail(options.image_data, "only " + std::to_string(remainder.size()) + " images are free to fill val and test (" +
                                 std::to_string(needed) + " needed)");

  PyRandom rng(options.seed);
  rng.shuffle(remainder);
  while (static_cast<int64_t>(test.size()) < options.test_size) {
    test.insert(remainder.back());
    remainder.pop_back();
  }
  while (static_cast<int64_t>(val.size()) < options.val_size) {
    val.insert(remainder.back());
    remainder.pop_back();
  }
  train.insert(remainder.begin(), remainder.end());

  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) fail(out.string(), "cannot create: " + ec.message());
  const std::unordered_set<int64_t>* splits[3] = {&train, &val, &test};
  int64_t* counts[3] = {&r.train, &r.val, &r.test};
  for (int s = 0; s < 3; ++s) {
    std::vector<SplitEntry> entries;
    for (const RawImageInfo& info : images) {
      if (!splits[s]->count(info.image_id)) continue;
      VgUrlParts url = split_vg_url(info.url, options.image_data + ": image " + std::to_string(info.image_id));
      entries.push_back({url.folder + "/" + url.filename, "xml/" + url.xml_name, info.image_id});
    }
    rng.shuffle(entries);
    *counts[s] = static_cast<int64_t>(entries.size());
    write_split_file((out / names[s]).string(), entries);
  }
  return r;
}

}  // namespace bua
