#include "bua/io/npz.h"

#include <array>
#include <cstring>
#include <limits>

#include "bua/util/atomic_file.h"
#include "bua/util/error.h"

namespace bua {
namespace {

constexpr uint32_t kLocalSig = 0x04034b50;
constexpr uint32_t kCentralSig = 0x02014b50;
constexpr uint32_t kEndSig = 0x06054b50;
constexpr size_t kLocalHeaderSize = 30;
constexpr size_t kCentralHeaderSize = 46;
constexpr size_t kEndSize = 22;
constexpr uint16_t kVersion = 20;        // 2.0: plain stored files
constexpr uint16_t kDosDate1980 = 0x21;  // 1980-01-01: a fixed date keeps our archives reproducible
constexpr uint16_t kZip64ExtraId = 0x0001;
constexpr uint32_t kNoSize = 0xFFFFFFFF;

std::array<uint32_t, 256> make_crc_table() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[i] = c;
  }
  return t;
}

void put16(std::string& s, uint16_t v) {
  s += static_cast<char>(v & 0xFF);
  s += static_cast<char>(v >> 8);
}
void put32(std::string& s, uint32_t v) {
  for (int i = 0; i < 4; ++i) s += static_cast<char>((v >> (8 * i)) & 0xFF);
}

// Bounds-checked little-endian reads from the archive bytes.
class Bytes {
 public:
  Bytes(std::string_view s, const std::string& name) : s_(s), name_(name) {}
  void need(uint64_t at, uint64_t n, const char* what) const {
    if (at > s_.size() || n > s_.size() - at) fail(name_, std::string("truncated zip (") + what + ")");
  }
  uint16_t u16(uint64_t at) const {
    need(at, 2, "field");
    return static_cast<uint16_t>(b(at) | (b(at + 1) << 8));
  }
  uint32_t u32(uint64_t at) const {
    need(at, 4, "field");
    return b(at) | (b(at + 1) << 8) | (b(at + 2) << 16) | (uint32_t(b(at + 3)) << 24);
  }
  uint64_t u64(uint64_t at) const { return u32(at) | (uint64_t(u32(at + 4)) << 32); }

 private:
  uint32_t b(uint64_t at) const { return static_cast<uint8_t>(s_[at]); }
  std::string_view s_;
  const std::string& name_;
};

std::string key_of(const std::string& member) {
  const std::string ext = ".npy";
  if (member.size() > ext.size() && member.compare(member.size() - ext.size(), ext.size(), ext) == 0)
    return member.substr(0, member.size() - ext.size());
  return member;
}

}  // namespace

uint32_t crc32(const void* data, size_t size, uint32_t crc) {
  static const std::array<uint32_t, 256> table = make_crc_table();
  const auto* p = static_cast<const uint8_t*>(data);
  crc = ~crc;
  for (size_t i = 0; i < size; ++i) crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

void NpzArchive::add_member(const std::string& member_name, std::string npy) {
  std::string key = key_of(member_name);
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i] == key) {
      members_[i] = member_name;
      npy_[i] = std::move(npy);
      return;
    }
  }
  keys_.push_back(key);
  members_.push_back(member_name);
  npy_.push_back(std::move(npy));
}

void NpzArchive::add(const std::string& key, const NpyArray& array) {
  if (key.empty()) fail(source.empty() ? "npz" : source, "empty member name");
  add_member(key + ".npy", npy_bytes(array));
}

bool NpzArchive::contains(const std::string& key) const {
  for (const auto& k : keys_)
    if (k == key) return true;
  return false;
}

NpyArray NpzArchive::get(const std::string& key) const {
  std::string where = source.empty() ? std::string("npz archive") : source;
  for (size_t i = 0; i < keys_.size(); ++i)
    if (keys_[i] == key) return parse_npy(npy_[i], where + ":" + members_[i]);
  std::string have;
  for (const auto& k : keys_) have += (have.empty() ? "" : ", ") + k;
  fail(where, "no member '" + key + "' (has: " + (have.empty() ? "none" : have) + ")");
}

std::string npz_bytes(const NpzArchive& archive) {
  std::string out, central;
  const std::string where = archive.source.empty() ? "npz archive" : archive.source;
  if (archive.keys_.size() > 0xFFFF) fail(where, "more than 65535 members");
  for (size_t i = 0; i < archive.keys_.size(); ++i) {
    const std::string& name = archive.members_[i];
    const std::string& data = archive.npy_[i];
    if (data.size() >= kNoSize || out.size() + data.size() + name.size() + kLocalHeaderSize >= kNoSize)
      fail(where, "member " + name + " would put the archive over 4 GiB (zip64 output is not supported)");
    uint32_t crc = crc32(data.data(), data.size());
    auto offset = static_cast<uint32_t>(out.size());
    auto size = static_cast<uint32_t>(data.size());
    auto name_len = static_cast<uint16_t>(name.size());

    put32(out, kLocalSig);
    put16(out, kVersion);
    put16(out, 0);  // flags
    put16(out, 0);  // method: stored
    put16(out, 0);  // time
    put16(out, kDosDate1980);
    put32(out, crc);
    put32(out, size);  // compressed
    put32(out, size);  // uncompressed
    put16(out, name_len);
    put16(out, 0);  // extra
    out += name;
    out += data;

    put32(central, kCentralSig);
    put16(central, (3 << 8) | kVersion);  // made by: Unix, so the external attributes carry file modes
    put16(central, kVersion);
    put16(central, 0);
    put16(central, 0);
    put16(central, 0);
    put16(central, kDosDate1980);
    put32(central, crc);
    put32(central, size);
    put32(central, size);
    put16(central, name_len);
    put16(central, 0);  // extra
    put16(central, 0);  // comment
    put16(central, 0);  // disk
    put16(central, 0);  // internal attributes
    put32(central, 0100644u << 16);  // regular file, rw-r--r--
    put32(central, offset);
    central += name;
  }
  if (out.size() + central.size() >= kNoSize) fail(where, "archive over 4 GiB (zip64 output is not supported)");
  auto central_offset = static_cast<uint32_t>(out.size());
  out += central;
  put32(out, kEndSig);
  put16(out, 0);
  put16(out, 0);
  put16(out, static_cast<uint16_t>(archive.keys_.size()));
  put16(out, static_cast<uint16_t>(archive.keys_.size()));
  put32(out, static_cast<uint32_t>(central.size()));
  put32(out, central_offset);
  put16(out, 0);  // comment
  return out;
}

void write_npz(const std::string& path, const NpzArchive& archive) { write_file_atomic(path, npz_bytes(archive)); }

std::vector<ZipMember> read_stored_zip(std::string_view bytes, const std::string& name, const char* kind) {
  Bytes in(bytes, name);
  if (bytes.size() < kEndSize) fail(name, std::string("not a ") + kind + " file (too short)");
  // The end record is the last thing in the file, followed only by a comment of up to 64 KiB.
  uint64_t end = std::string::npos;
  uint64_t lowest = bytes.size() > kEndSize + 0xFFFF ? bytes.size() - kEndSize - 0xFFFF : 0;
  for (uint64_t at = bytes.size() - kEndSize + 1; at-- > lowest;) {
    if (in.u32(at) == kEndSig) {
      end = at;
      break;
    }
  }
  if (end == std::string::npos) fail(name, std::string("not a ") + kind + " file (no end of central directory)");
  uint16_t entries = in.u16(end + 10);
  uint64_t central_size = in.u32(end + 12);
  uint64_t central_offset = in.u32(end + 16);
  if (central_offset == kNoSize || entries == 0xFFFF)
    fail(name, "zip64 central directory (over 65535 members or 4 GiB) is not supported");
  in.need(central_offset, central_size, "central directory");

  std::vector<ZipMember> members;
  uint64_t at = central_offset;
  for (uint16_t i = 0; i < entries; ++i) {
    if (in.u32(at) != kCentralSig) fail(name, "corrupt zip central directory (entry " + std::to_string(i) + ")");
    uint16_t flags = in.u16(at + 8);
    uint16_t method = in.u16(at + 10);
    uint32_t crc = in.u32(at + 16);
    uint64_t compressed = in.u32(at + 20);
    uint64_t size = in.u32(at + 24);
    uint16_t name_len = in.u16(at + 28), extra_len = in.u16(at + 30), comment_len = in.u16(at + 32);
    uint64_t local = in.u32(at + 42);
    in.need(at + kCentralHeaderSize, name_len + extra_len, "member name");
    std::string member(bytes.substr(at + kCentralHeaderSize, name_len));
    std::string where = name + ":" + member;

    // Zip64: sizes/offset of 0xFFFFFFFF live in the extra field, in this order.
    uint64_t extra = at + kCentralHeaderSize + name_len, extra_end = extra + extra_len;
    while (extra + 4 <= extra_end) {
      uint16_t id = in.u16(extra), len = in.u16(extra + 2);
      if (id == kZip64ExtraId) {
        uint64_t p = extra + 4;
        if (size == kNoSize) size = in.u64(p), p += 8;
        if (compressed == kNoSize) compressed = in.u64(p), p += 8;
        if (local == kNoSize) local = in.u64(p);
      }
      extra += 4 + len;
    }
    if (flags & 1) fail(where, "encrypted members are not supported");
    if (method != 0)
      fail(where, "compressed member (method " + std::to_string(method) +
                      ") is not supported: np.savez and torch.save store members uncompressed");
    if (compressed != size) fail(where, "stored member with different compressed and uncompressed sizes");

    if (in.u32(local) != kLocalSig) fail(where, "corrupt zip (no local header at offset " + std::to_string(local) + ")");
    uint64_t data = local + kLocalHeaderSize + in.u16(local + 26) + in.u16(local + 28);
    in.need(data, size, "member data");
    if (crc32(bytes.data() + data, size) != crc) fail(where, "crc32 mismatch (corrupt file)");
    members.push_back({std::move(member), data, size});
    at += kCentralHeaderSize + name_len + extra_len + comment_len;
  }
  return members;
}

NpzArchive parse_npz(const std::string& bytes, const std::string& name) {
  NpzArchive archive;
  archive.source = name;
  for (ZipMember& m : read_stored_zip(bytes, name, "zip/npz")) {
    archive.add_member(m.name, bytes.substr(m.offset, m.size));
  }
  return archive;
}

NpzArchive read_npz(const std::string& path) { return parse_npz(read_file(path), path); }

}  // namespace bua
