// NumPy .npz archives as np.savez writes them: a zip of uncompressed ("stored") members "<key>.npy",
// each with its crc32. What we write loads with np.load(path, allow_pickle=False). Reading accepts any
// stored zip, including numpy's zip64 headers; compressed members (np.savez_compressed) are refused.
// Members are parsed when asked for, so an archive may hold members we cannot parse (a pickled object
// array) as long as nobody asks for them.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
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

// One member of a zip archive of stored (uncompressed) members: its name and where its bytes lie.
struct ZipMember {
  std::string name;
  uint64_t offset = 0;  // of the member's data in the archive
  uint64_t size = 0;
};
// The members of the zip in `bytes`, each checked against the crc32 the archive records for it; throws
// bua::Error naming `name` (and the member) when the archive is cut short or corrupt, a member is compressed
// or encrypted, or a crc32 differs. npz files and torch.save checkpoints are such zips.
// `kind` names the expected file in "not a <kind> file".
std::vector<ZipMember> read_stored_zip(std::string_view bytes, const std::string& name, const char* kind = "zip");

// The zip (IEEE 802.3) crc32; pass a previous result as `crc` to continue it.
uint32_t crc32(const void* data, size_t size, uint32_t crc = 0);

}  // namespace bua
