#include "bua/io/pickle.h"

#include <limits>

#include "bua/util/error.h"

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

void check_pickle_lengths(const std::string& bytes, const std::string& where) {
  const size_t n = bytes.size();
  size_t at = 0;
  auto need = [&](size_t count, char op) {
    if (count > n - at)
      fail(where, std::string("corrupt pickle: opcode '") + op + "' at byte " + std::to_string(at - 1) + " needs " +
                      std::to_string(count) + " bytes, " + std::to_string(n - at) + " are left");
  };
  auto le = [&](int width) {
    uint64_t v = 0;
    for (int i = 0; i < width; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(bytes[at + i])) << (8 * i);
    return v;
  };
  auto line = [&](char op) {  // protocol-0 arguments end in a newline
    const size_t end = bytes.find('\n', at);
    if (end == std::string::npos) need(n - at + 1, op);
    at = end + 1;
  };
  auto counted = [&](int width, char op) {
    need(static_cast<size_t>(width), op);
    const uint64_t len = le(width);
    at += static_cast<size_t>(width);
    if (len > n) need(n + 1, op);  // before narrowing to size_t
    need(static_cast<size_t>(len), op), at += static_cast<size_t>(len);
  };
  while (at < n) {
    const char op = bytes[at++];
    switch (op) {
      case '.': return;  // STOP
      // No argument.
      case '(': case ')': case ']': case '}': case 'N': case 'R': case 'b': case 'a': case 'e': case 's':
      case 'u': case 't': case '0': case '1': case '2': case 'l': case 'd': case 'o': case 'Q':
      case '\x85': case '\x86': case '\x87': case '\x88': case '\x89': case '\x8f': case '\x90':
      case '\x91': case '\x92': case '\x93': case '\x94': case '\x81': case '\x97': case '\x98':
        break;
      // Fixed-size arguments.
      case '\x80': case 'K': case 'q': case 'h': case '\x82': need(1, op), at += 1; break;
      case 'M': case '\x83': need(2, op), at += 2; break;
      case 'J': case 'r': case 'j': case '\x84': need(4, op), at += 4; break;
      case 'G': need(8, op), at += 8; break;
      case '\x95': {  // FRAME: the frame's size, then its opcodes as usual
        need(8, op);
        const uint64_t len = le(8);
        at += 8;
        if (len > n - at) need(n - at + 1, op);
        break;
      }
      // Newline-terminated arguments (GLOBAL has two).
      case 'c': line(op), line(op); break;
      case 'I': case 'L': case 'F': case 'S': case 'V': case 'P': case 'g': case 'p': line(op); break;
      // Length-prefixed arguments (a 1-, 4- or 8-byte length): the length must fit in what is left.
      case 'U': case 'C': case '\x8c': case '\x8a': counted(1, op); break;
      case 'T': case 'B': case 'X': case '\x8b': counted(4, op); break;
      case '\x8d': case '\x8e': case '\x96': counted(8, op); break;
      default: return;  // an opcode this walk does not know: the unpickler decides
    }
  }
  fail(where, "corrupt pickle: it ends without a STOP opcode (truncated)");
}

}  // namespace bua
