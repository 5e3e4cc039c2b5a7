#include "bua/data/vg_cache.h"

#include <sys/stat.h>

#include <cstring>
#include <filesystem>

#include "bua/util/atomic_file.h"
#include "bua/util/error.h"
#include "bua/util/log.h"

namespace bua {
namespace fs = std::filesystem;

namespace {

constexpr char kMagic[8] = {'B', 'U', 'A', 'V', 'G', 'D', 'B', '3'};

class Writer {
 public:
  template <typename T>
  void pod(const T& v) {
    bytes_.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  template <typename T>
  void array(const std::vector<T>& v) {
    pod(static_cast<uint64_t>(v.size()));
    bytes_.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
  }
  void text(const std::string& s) {
    pod(static_cast<uint64_t>(s.size()));
    bytes_ += s;
  }
  std::string& bytes() { return bytes_; }

 private:
  std::string bytes_;
};

// Bounds-checked reader: any overrun marks the cache damaged instead of reading past the buffer.
class Reader {
 public:
  explicit Reader(const std::string& bytes) : bytes_(bytes) {}
  template <typename T>
  bool pod(T& v) {
    if (bytes_.size() - pos_ < sizeof v) return false;
    std::memcpy(&v, bytes_.data() + pos_, sizeof v);
    pos_ += sizeof v;
    return true;
  }
  template <typename T>
  bool array(std::vector<T>& v) {
    uint64_t n = 0;
    if (!pod(n) || n > (bytes_.size() - pos_) / sizeof(T)) return false;
    v.resize(n);
    std::memcpy(v.data(), bytes_.data() + pos_, n * sizeof(T));
    pos_ += n * sizeof(T);
    return true;
  }
  bool text(std::string& s) {
    uint64_t n = 0;
    if (!pod(n) || n > bytes_.size() - pos_) return false;
    s.assign(bytes_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  bool at_end() const { return pos_ == bytes_.size(); }

 private:
  const std::string& bytes_;
  size_t pos_ = 0;
};

void add_file_contents(Fingerprint& f, const std::string& path) {
  f.add(path);
  f.add(fs::exists(path) ? read_file(path) : std::string("<missing>"));
}

// Size and modification time (ns) of a file, or -1s when it does not exist.
void add_file_stamp(Fingerprint& f, const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    f.add(int64_t{-1});
    return;
  }
  f.add(static_cast<int64_t>(st.st_size));
  f.add(static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec);
}

}  // namespace

void Fingerprint::add(const void* data, size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) {
    hash_ ^= p[i];
    hash_ *= 0x100000001b3ull;
  }
}
void Fingerprint::add(const std::string& text) {
  add(static_cast<int64_t>(text.size()));
  add(text.data(), text.size());
}
void Fingerprint::add(int64_t value) { add(&value, sizeof value); }

uint64_t vg_inputs_fingerprint(const VgDatasetPaths& paths, const VgLoadOptions& options,
                               const std::vector<SplitEntry>& entries) {
  Fingerprint f;
  f.add(std::string(kMagic, sizeof kMagic));
  add_file_contents(f, paths.objects_vocab);
  add_file_contents(f, paths.attributes_vocab);
  add_file_contents(f, paths.relations_vocab);
  add_file_contents(f, paths.split_file);
  f.add(paths.max_split_lines);
  f.add(paths.xml_dir);
  f.add(paths.image_root);
  f.add(int64_t{options.size_from_image});
  for (const SplitEntry& e : entries) {
    add_file_stamp(f, (fs::path(paths.xml_dir) / (std::to_string(e.image_id) + ".xml")).string());
    if (options.size_from_image) add_file_stamp(f, (fs::path(paths.image_root) / e.image_file).string());
  }
  return f.value();
}

std::string vg_cache_path(const VgDatasetPaths& paths, const VgLoadOptions& options) {
  const std::string name = paths.name.empty() ? "vg_custom" : paths.name;
  return (fs::path(options.cache_dir) / (name + "_gt_roidb.bin")).string();
}

void save_vg_cache(const std::string& path, uint64_t fingerprint, const std::vector<VgRecord>& records,
                   const VgLoadReport& report) {
  Writer w;
  w.bytes().append(kMagic, sizeof kMagic);
  w.pod(fingerprint);
  w.pod(report.split_lines);
  w.pod(report.missing_annotations);
  w.pod(report.without_objects);
  w.pod(report.replaced_boxes);
  w.pod(report.size_mismatches);
  w.pod(static_cast<uint64_t>(records.size()));
  for (const VgRecord& r : records) {
    w.pod(r.image_id);
    w.pod(static_cast<int32_t>(r.width));
    w.pod(static_cast<int32_t>(r.height));
    w.pod(static_cast<uint8_t>(r.flipped));
    w.text(r.image_path);
    w.array(r.boxes);
    w.array(r.classes);
    w.array(r.relations);
    // Attributes as each box's used prefix (most boxes have none or a few of the 16 slots).
    std::vector<uint8_t> lengths;
    std::vector<int32_t> values;
    for (const auto& slots : r.attributes) {
      size_t n = slots.size();
      while (n > 0 && slots[n - 1] == 0) --n;
      lengths.push_back(static_cast<uint8_t>(n));
      values.insert(values.end(), slots.begin(), slots.begin() + static_cast<std::ptrdiff_t>(n));
    }
    w.array(lengths);
    w.array(values);
  }
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  write_file_atomic(path, w.bytes());
}

std::optional<VgCacheContents> load_vg_cache(const std::string& path, uint64_t fingerprint) {
  if (!fs::exists(path)) return std::nullopt;
  const std::string bytes = read_file(path);
  Reader in(bytes);
  char magic[sizeof kMagic];
  uint64_t stored = 0, count = 0;
  for (char& c : magic)
    if (!in.pod(c)) return std::nullopt;
  if (std::memcmp(magic, kMagic, sizeof kMagic) != 0 || !in.pod(stored) || stored != fingerprint) return std::nullopt;
  VgCacheContents c;
  c.report.from_cache = true;
  bool ok = in.pod(c.report.split_lines) && in.pod(c.report.missing_annotations) && in.pod(c.report.without_objects) &&
            in.pod(c.report.replaced_boxes) && in.pod(c.report.size_mismatches) && in.pod(count);
  if (ok && count <= bytes.size()) c.records.resize(count);
  for (size_t i = 0; ok && i < count; ++i) {
    VgRecord& r = c.records[i];
    int32_t w = 0, h = 0;
    uint8_t flipped = 0;
    std::vector<uint8_t> lengths;
    std::vector<int32_t> values;
    ok = in.pod(r.image_id) && in.pod(w) && in.pod(h) && in.pod(flipped) && in.text(r.image_path) &&
         in.array(r.boxes) && in.array(r.classes) && in.array(r.relations) && in.array(lengths) && in.array(values) &&
         r.classes.size() == r.boxes.size() && lengths.size() == r.boxes.size();
    r.width = w, r.height = h, r.flipped = flipped != 0;
    r.attributes.assign(r.boxes.size(), {});
    size_t used = 0;
    for (size_t b = 0; ok && b < lengths.size(); ++b) {
      ok = lengths[b] <= kMaxAttributesPerObject && used + lengths[b] <= values.size();
      for (size_t k = 0; ok && k < lengths[b]; ++k) r.attributes[b][k] = values[used++];
    }
    ok = ok && used == values.size();
  }
  if (!ok || count > bytes.size() || !in.at_end()) {
    log_warn(path + ": damaged cache; rebuilding it");
    return std::nullopt;
  }
  return c;
}

}  // namespace bua
