// Binary cache of a loaded Visual Genome split, so a 100k-image split reloads in seconds instead of
// parsing 100k XML files. The file starts with a fingerprint of every input (vocab and split file
// contents, the size and modification time of each image's XML, the load options); a cache whose
// fingerprint differs is rebuilt. Native little-endian layout, written through a temp file.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bua/data/splits.h"
#include "bua/data/vg_dataset.h"

namespace bua {

// 64-bit FNV-1a, for change detection (not security).
class Fingerprint {
 public:
  void add(const void* data, size_t size);
  void add(const std::string& text);
  void add(int64_t value);
  uint64_t value() const { return hash_; }

 private:
  uint64_t hash_ = 0xcbf29ce484222325ull;
};

uint64_t vg_inputs_fingerprint(const VgDatasetPaths& paths, const VgLoadOptions& options,
                               const std::vector<SplitEntry>& entries);

// The cache file of a dataset: <cache_dir>/<name>_gt_roidb.bin.
std::string vg_cache_path(const VgDatasetPaths& paths, const VgLoadOptions& options);

void save_vg_cache(const std::string& path, uint64_t fingerprint, const std::vector<VgRecord>& records,
                   const VgLoadReport& report);

struct VgCacheContents {
  std::vector<VgRecord> records;
  VgLoadReport report;
};
// Empty when the file is missing, has another fingerprint or format, or is damaged (the caller rebuilds).
std::optional<VgCacheContents> load_vg_cache(const std::string& path, uint64_t fingerprint);

}  // namespace bua
