#include "bua/features/image_list.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unordered_map>

#include "bua/util/error.h"
#include "bua/util/random.h"

namespace fs = std::filesystem;

namespace bua {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string join(const std::string& root, const std::string& rel) {
  if (root.empty() || fs::path(rel).is_absolute()) return rel;
  return (fs::path(root) / rel).string();
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail(path, "cannot open");
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    fail(path, std::string("malformed JSON: ") + e.what());
  }
}

std::string int_text(const nlohmann::json& v, const std::string& where) {
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_string()) return v.get<std::string>();
  fail(where, "id is neither an integer nor a string");
}

// item[key] as a string; anything else (a number, null, a list) is an error naming the file and the image,
// not a raw "type must be string" from the JSON library.
std::string string_field(const nlohmann::json& item, const char* key, const std::string& where) {
  const auto& v = item[key];
  if (!v.is_string()) fail(where, std::string("'") + key + "' is not a string (got " + v.type_name() + ")");
  return v.get<std::string>();
}

}  // namespace

std::string image_id_from_path(const std::string& path) {
  const std::string stem = fs::path(path).stem().string();
  size_t end = stem.size(), start = end;
  while (start > 0 && std::isdigit(static_cast<unsigned char>(stem[start - 1]))) --start;
  const bool coco_like = start < end && start > 0 && stem[start - 1] == '_' && stem.rfind("COCO_", 0) == 0;
  const bool all_digits = start == 0 && end > 0;
  if (!coco_like && !all_digits) return stem;
  std::string digits = stem.substr(start);
  const size_t nz = digits.find_first_not_of('0');
  return nz == std::string::npos ? "0" : digits.substr(nz);
}

std::vector<ImageEntry> list_image_dir(const std::string& dir, const std::vector<std::string>& extensions) {
  if (!fs::is_directory(dir)) fail(dir, "not a directory");
  std::vector<ImageEntry> out;
  for (const auto& e : fs::recursive_directory_iterator(dir, fs::directory_options::follow_directory_symlink)) {
    const std::string ext = lower(e.path().extension().string());
    if (std::find(extensions.begin(), extensions.end(), ext) == extensions.end()) continue;
    // A link that cannot be followed (a loop) is kept, so that the run lists it as skipped, with why.
    std::error_code ec;
    if (!e.is_regular_file(ec) && !ec) continue;
    out.push_back({e.path().string(), image_id_from_path(e.path().string())});
  }
  std::sort(out.begin(), out.end(), [](const ImageEntry& a, const ImageEntry& b) { return a.path < b.path; });
  return out;
}

std::vector<ImageEntry> read_image_list(const std::string& list_file, const std::string& root) {
  std::ifstream in(list_file);
  if (!in) fail(list_file, "cannot open image list");
  std::vector<ImageEntry> out;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::istringstream words(line);
    std::string path, id, extra;
    if (!(words >> path) || path[0] == '#') continue;
    words >> id;
    if (words >> extra) fail(list_file + ":" + std::to_string(n), "expected 'path [id]', got more fields");
    out.push_back({join(root, path), id.empty() ? image_id_from_path(path) : id});
  }
  return out;
}

std::vector<ImageEntry> vg_image_entries(const std::string& image_data_json, const std::string& image_root) {
  const auto j = read_json(image_data_json);
  if (!j.is_array()) fail(image_data_json, "expected a JSON array of images");
  std::vector<ImageEntry> out;
  for (const auto& item : j) {
    const std::string where = image_data_json + " (image " + (item.contains("image_id") ? item["image_id"].dump() : "?") + ")";
    if (!item.contains("image_id") || !item.contains("url")) fail(where, "missing image_id or url");
    const std::string url = string_field(item, "url", where);
    const size_t k = url.find("rak248/");
    const std::string rel = k == std::string::npos ? fs::path(url).filename().string() : url.substr(k + 7);
    out.push_back({join(image_root, rel), int_text(item["image_id"], where)});
  }
  return out;
}

std::vector<ImageEntry> coco_image_entries(const std::string& coco_json, const std::string& image_root) {
  const auto j = read_json(coco_json);
  if (!j.is_object() || !j.contains("images") || !j["images"].is_array()) fail(coco_json, "no 'images' array");
  std::vector<ImageEntry> out;
  for (size_t i = 0; i < j["images"].size(); ++i) {
    const auto& item = j["images"][i];
    const std::string where = coco_json + " (images[" + std::to_string(i) + "])";
    if (!item.contains("id") || !item.contains("file_name")) fail(where, "an image lacks id or file_name");
    out.push_back({join(image_root, string_field(item, "file_name", where)), int_text(item["id"], where)});
  }
  return out;
}

std::vector<ImageEntry> drop_repeated_ids(std::vector<ImageEntry> entries, std::vector<RepeatedId>& repeats) {
  std::unordered_map<std::string, std::string> first_path;  // id → path of its first entry
  std::vector<ImageEntry> kept;
  kept.reserve(entries.size());
  for (auto& e : entries) {
    auto [it, fresh] = first_path.emplace(e.id, e.path);
    if (fresh) {
      kept.push_back(std::move(e));
      continue;
    }
    const std::string reason = it->second == e.path ? "listed again (image id " + e.id + ")"
                                                    : "image id " + e.id + " repeats that of " + it->second +
                                                          ", which is the one extracted";
    repeats.push_back({std::move(e), reason});
  }
  return kept;
}

std::string not_a_regular_file(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return std::string("cannot be read: ") + std::strerror(errno);
  if (S_ISREG(st.st_mode)) return "";
  if (S_ISDIR(st.st_mode)) return "is a folder, not an image file";
  if (S_ISFIFO(st.st_mode)) return "is a FIFO, not an image file (only regular files are read)";
  if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) return "is a device, not an image file (only regular files are read)";
  return "is not a regular file (only regular files are read)";
}

std::vector<ImageEntry> shard_entries(std::vector<ImageEntry> entries, int index, int parts, unsigned seed, bool shuffle) {
  if (parts < 1 || index < 0 || index >= parts)
    fail("shard", "need 0 <= index < parts, got " + std::to_string(index) + "/" + std::to_string(parts));
  // The project's portable shuffle (bua/util/random.h): the split is the same with every standard library.
  if (shuffle) {
    Rng rng = make_rng({seed});
    bua::shuffle(entries, rng);
  }
  std::vector<ImageEntry> out;
  for (size_t i = static_cast<size_t>(index); i < entries.size(); i += static_cast<size_t>(parts)) out.push_back(entries[i]);
  return out;
}

}  // namespace bua
