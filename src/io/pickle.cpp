#include "bua/io/pickle.h"

#include <limits>

namespace bua {
namespace {

// Pickle opcodes (Lib/pickletools.py).
constexpr char kProto = '\x80', kEmptyDict = '}', kMark = '(', kSetItems = 'u', kStop = '.';
constexpr char kBinInt1 = 'K', kBinInt2 = 'M', kBinInt = 'J', kLong1 = '\x8a', kBinUnicode = 'X';
// pickle batches SETITEMS by 1000 pairs; any batch loads, this keeps the unpickler's stack small.
constexpr size_t kBatch = 1000;

void put_le(std::string& s, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) s += static_cast<char>((v >> (8 * i)) & 0xFF);
}

void put_int(std::string& s, int64_t v) {
  if (v >= 0 && v < 256) {
    s += kBinInt1;
    put_le(s, static_cast<uint64_t>(v), 1);
  } else if (v >= 0 && v < 65536) {
    s += kBinInt2;
    put_le(s, static_cast<uint64_t>(v), 2);
  } else if (v >= std::numeric_limits<int32_t>::min() && v <= std::numeric_limits<int32_t>::max()) {
    s += kBinInt;
    put_le(s, static_cast<uint32_t>(static_cast<int32_t>(v)), 4);
  } else {
    // LONG1: a length byte, then the two's-complement little-endian bytes, as few as keep the sign.
    std::string bytes;
    int64_t x = v;
    for (int i = 0; i < 8; ++i) {
      bytes += static_cast<char>(static_cast<uint64_t>(x) & 0xFF);
      const int64_t rest = x >> 8;  // arithmetic shift keeps the sign
      const bool sign_bit = (static_cast<uint8_t>(bytes.back()) & 0x80) != 0;
      if ((rest == 0 && !sign_bit) || (rest == -1 && sign_bit)) break;
      x = rest;
    }
    s += kLong1;
    s += static_cast<char>(bytes.size());
    s += bytes;
  }
}

void put_str(std::string& s, const std::string& v) {
  s += kBinUnicode;
  put_le(s, v.size(), 4);
  s += v;
}

}  // namespace

bool canonical_int_id(const std::string& id, int64_t* value) {
  size_t i = id.size() > 1 && id[0] == '-' ? 1 : 0;
  if (i >= id.size() || (id[i] == '0' && id.size() > i + 1)) return false;
  if (id == "-0") return false;
  for (size_t k = i; k < id.size(); ++k)
    if (id[k] < '0' || id[k] > '9') return false;
  try {
    size_t used = 0;
    const long long v = std::stoll(id, &used);
    if (used != id.size()) return false;
    if (value) *value = v;
    return true;
  } catch (const std::exception&) {
    return false;  // out of int64 range
  }
}

std::string pickle_id_to_index(const std::vector<std::string>& ids) {
  std::string s;
  s += kProto;
  s += '\x02';
  s += kEmptyDict;
  for (size_t start = 0; start < ids.size(); start += kBatch) {
    s += kMark;
    for (size_t i = start; i < std::min(ids.size(), start + kBatch); ++i) {
      int64_t v = 0;
      if (canonical_int_id(ids[i], &v)) put_int(s, v);
      else put_str(s, ids[i]);
      put_int(s, static_cast<int64_t>(i));
    }
    s += kSetItems;
  }
  s += kStop;
  return s;
}

std::string imgid2idx_path(const std::string& hdf5_path) {
  std::string stem = hdf5_path;
  for (const char* ext : {".hdf5", ".h5"}) {
    const std::string e = ext;
    if (stem.size() > e.size() && stem.compare(stem.size() - e.size(), e.size(), e) == 0) {
      stem.resize(stem.size() - e.size());
      break;
    }
  }
  return stem + "_imgid2idx.pkl";
}

}  // namespace bua
