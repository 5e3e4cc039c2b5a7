// NumPy .npz archives as np.savez writes them: a zip of uncompressed ("stored") members "<key>.npy",
// each with its crc32. What we write loads with np.load(path, allow_pickle=False). Reading accepts any
// stored zip, including numpy's zip64 headers; compressed members (np.savez_compressed) are refused.
// Members are parsed when asked for, so an archive may hold members we cannot parse (a pickled object
// array) as long as nobody asks for them.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "bua/io/npy.h"

namespace bua {

class NpzArchive {
 public:
  // Adds (or replaces) member `key` (stored as "<key>.npy").
  void add(const std::string& key, const NpyArray& array);
  bool contains(const std::string& key) const;
  // Parses member `key`; throws bua::Error naming the archive when it is missing or unreadable.
  NpyArray get(const std::string& key) const;
  const std::vector<std::string>& keys() const { return keys_; }  // in archive order

  std::string source;  // file it was read from, for error messages

 private:
  friend NpzArchive parse_npz(const std::string& bytes, const std::string& name);
  friend std::string npz_bytes(const NpzArchive& archive);
  void add_member(const std::string& member_name, std::string npy);

  std::vector<std::string> keys_;     // member names without ".npy"
  std::vector<std::string> members_;  // member names as stored
  std::vector<std::string> npy_;      // member bytes
};

std::string npz_bytes(const NpzArchive& archive);
void write_npz(const std::string& path, const NpzArchive& archive);  // through a temp file, then renamed
NpzArchive parse_npz(const std::string& bytes, const std::string& name);
NpzArchive read_npz(const std::string& path);

// The zip (IEEE 802.3) crc32; pass a previous result as `crc` to continue it.
uint32_t crc32(const void* data, size_t size, uint32_t crc = 0);

}  // namespace bua
