#include "bua/io/npy.h"

#include <cctype>
#include <cstring>
#include <limits>

#include "bua/util/atomic_file.h"
#include "bua/util/error.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the .npy code copies little-endian bytes as they are");

namespace bua {
namespace {

const char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;
constexpr size_t kAlign = 64;           // numpy pads headers so the data starts 64-byte aligned
constexpr size_t kGrowthDigits = 21;    // numpy leaves room to rewrite the first axis in place

// The dtypes we handle, with their element sizes.
struct DtypeInfo {
  const char* descr;
  size_t size;
  char kind;  // 'f' float, 'i' signed int, 'u' unsigned int, 'b' bool
};
const DtypeInfo kDtypes[] = {
    {"<f4", 4, 'f'}, {"<f8", 8, 'f'}, {"<i4", 4, 'i'}, {"<i8", 8, 'i'}, {"|u1", 1, 'u'}, {"|b1", 1, 'b'},
};

const DtypeInfo* find_dtype(const std::string& descr) {
  for (const auto& d : kDtypes)
    if (descr == d.descr) return &d;
  return nullptr;
}

std::string where_of(const NpyArray& a) { return a.source.empty() ? std::string("npy array") : a.source; }

const DtypeInfo& dtype_or_fail(const NpyArray& a) {
  const DtypeInfo* d = find_dtype(a.dtype);
  if (!d) fail(where_of(a), "unsupported dtype '" + a.dtype + "'");
  return *d;
}

// Canonical spelling of a descr as read from a header: numpy writes '|' for one-byte types, but '<u1',
// '=f4' (native = little here) and friends are equivalent.
std::string normalize_descr(const std::string& d, const std::string& name) {
  if (d.size() < 2) fail(name, "bad dtype '" + d + "'");
  char order = d[0];
  std::string type = d.substr(1);
  if (order == '>') {
    if (type == "u1" || type == "b1") return "|" + type;
    fail(name, "big-endian dtype '" + d + "' is not supported (save it little-endian)");
  }
  if (order != '<' && order != '|' && order != '=') fail(name, "bad dtype '" + d + "'");
  std::string canon = (type == "u1" || type == "b1") ? "|" + type : "<" + type;
  if (!find_dtype(canon))
    fail(name, "unsupported dtype '" + d + "' (supported: <f4 <f8 <i4 <i8 |u1 |b1)");
  return canon;
}

// A tiny reader for the header's Python dict literal: {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
class HeaderParser {
 public:
  HeaderParser(const std::string& text, const std::string& name) : s_(text), name_(name) {}

  void parse(std::string& descr, bool& fortran, std::vector<int64_t>& shape) {
    bool have_descr = false, have_order = false, have_shape = false;
    skip_ws();
    expect('{');
    while (true) {
      skip_ws();
      if (peek() == '}') break;
      std::string key = parse_string();
      skip_ws();
      expect(':');
      skip_ws();
      if (key == "descr") {
        if (peek() != '\'' && peek() != '"')
          fail(name_, "structured dtypes are not supported (header: " + s_ + ")");
        descr = parse_string();
        have_descr = true;
      } else if (key == "fortran_order") {
        fortran = parse_bool();
        have_order = true;
      } else if (key == "shape") {
        shape = parse_shape();
        have_shape = true;
      } else {
        fail(name_, "unexpected key '" + key + "' in header");
      }
      skip_ws();
      if (peek() == ',') ++pos_;
    }
    if (!have_descr || !have_order || !have_shape)
      fail(name_, "header lacks descr, fortran_order or shape: " + s_);
  }

 private:
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  void skip_ws() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  [[noreturn]] void bad(const std::string& what) const {
    fail(name_, "malformed header (" + what + " at offset " + std::to_string(pos_) + "): " + s_);
  }
  void expect(char c) {
    if (peek() != c) bad(std::string("expected '") + c + "'");
    ++pos_;
  }
  std::string parse_string() {
    char q = peek();
    if (q != '\'' && q != '"') bad("expected a string");
    size_t end = s_.find(q, pos_ + 1);
    if (end == std::string::npos) bad("unterminated string");
    std::string out = s_.substr(pos_ + 1, end - pos_ - 1);
    pos_ = end + 1;
    return out;
  }
  bool parse_bool() {
    if (s_.compare(pos_, 4, "True") == 0) {
      pos_ += 4;
      return true;
    }
    if (s_.compare(pos_, 5, "False") == 0) {
      pos_ += 5;
      return false;
    }
    bad("expected True or False");
  }
  std::vector<int64_t> parse_shape() {
    std::vector<int64_t> shape;
    expect('(');
    while (true) {
      skip_ws();
      if (peek() == ')') break;
      if (!std::isdigit(static_cast<unsigned char>(peek()))) bad("expected a dimension");
      int64_t v = 0;
      while (std::isdigit(static_cast<unsigned char>(peek()))) {
        if (v > (std::numeric_limits<int64_t>::max() - 9) / 10) bad("dimension too large");
        v = v * 10 + (s_[pos_++] - '0');
      }
      if (peek() == 'L') ++pos_;  // Python 2 long literal
      shape.push_back(v);
      skip_ws();
      if (peek() == ',') ++pos_;
      else if (peek() != ')') bad("expected ',' or ')'");
    }
    ++pos_;
    return shape;
  }

  const std::string& s_;
  const std::string& name_;
  size_t pos_ = 0;
};

// Product of the dimensions; -1 when it overflows (only a corrupt header does that).
int64_t element_count(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    if (d < 0 || __builtin_mul_overflow(n, d, &n)) return -1;
  return n;
}

std::string shape_repr(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

template <class T>
NpyArray make_array(const std::vector<T>& values, std::vector<int64_t> shape, const char* descr) {
  if (element_count(shape) != static_cast<int64_t>(values.size()))
    fail("NpyArray", "shape " + shape_repr(shape) + " does not hold " + std::to_string(values.size()) + " values");
  NpyArray a;
  a.dtype = descr;
  a.shape = std::move(shape);
  a.data.resize(values.size() * sizeof(T));
  if (!values.empty()) std::memcpy(a.data.data(), values.data(), a.data.size());
  return a;
}

template <class T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

// Converts every element to Out, reading it with the array's own dtype.
template <class Out>
std::vector<Out> convert(const NpyArray& a, bool want_float) {
  const DtypeInfo& d = dtype_or_fail(a);
  bool is_float = d.kind == 'f';
  if (is_float != want_float)
    fail(where_of(a), std::string("dtype ") + a.dtype + " cannot be read as " + (want_float ? "float" : "integer"));
  int64_t n = a.size();
  if (static_cast<int64_t>(a.data.size()) != n * static_cast<int64_t>(d.size))
    fail(where_of(a), "holds " + std::to_string(a.data.size()) + " bytes, shape " + shape_repr(a.shape) + " needs " +
                          std::to_string(n * static_cast<int64_t>(d.size)));
  std::vector<Out> out(static_cast<size_t>(n));
  const uint8_t* p = a.data.data();
  for (int64_t i = 0; i < n; ++i, p += d.size) {
    switch (d.kind) {
      case 'f':
        out[i] = d.size == 4 ? static_cast<Out>(load<float>(p)) : static_cast<Out>(load<double>(p));
        break;
      case 'i':
        out[i] = d.size == 4 ? static_cast<Out>(load<int32_t>(p)) : static_cast<Out>(load<int64_t>(p));
        break;
      default:  // u1, b1
        out[i] = static_cast<Out>(*p);
    }
  }
  return out;
}

}  // namespace

int64_t NpyArray::size() const { return element_count(shape); }

size_t NpyArray::item_size() const { return dtype_or_fail(*this).size; }

int64_t NpyArray::dim(size_t i) const {
  if (i >= shape.size())
    fail(where_of(*this), "has " + std::to_string(shape.size()) + " dimensions, asked for axis " + std::to_string(i));
  return shape[i];
}

std::vector<float> NpyArray::as_float() const { return convert<float>(*this, true); }
std::vector<double> NpyArray::as_double() const { return convert<double>(*this, true); }
std::vector<int64_t> NpyArray::as_int64() const { return convert<int64_t>(*this, false); }

std::vector<int32_t> NpyArray::as_int32() const {
  std::vector<int64_t> wide = as_int64();
  std::vector<int32_t> out(wide.size());
  for (size_t i = 0; i < wide.size(); ++i) {
    if (wide[i] < std::numeric_limits<int32_t>::min() || wide[i] > std::numeric_limits<int32_t>::max())
      fail(where_of(*this), "value " + std::to_string(wide[i]) + " at index " + std::to_string(i) +
                                " does not fit in int32");
    out[i] = static_cast<int32_t>(wide[i]);
  }
  return out;
}

NpyArray NpyArray::from(const std::vector<float>& v, std::vector<int64_t> s) { return make_array(v, std::move(s), "<f4"); }
NpyArray NpyArray::from(const std::vector<double>& v, std::vector<int64_t> s) { return make_array(v, std::move(s), "<f8"); }
NpyArray NpyArray::from(const std::vector<int32_t>& v, std::vector<int64_t> s) { return make_array(v, std::move(s), "<i4"); }
NpyArray NpyArray::from(const std::vector<int64_t>& v, std::vector<int64_t> s) { return make_array(v, std::move(s), "<i8"); }
NpyArray NpyArray::from(const std::vector<uint8_t>& v, std::vector<int64_t> s) { return make_array(v, std::move(s), "|u1"); }

NpyArray NpyArray::from_bool(const std::vector<bool>& values, std::vector<int64_t> shape) {
  std::vector<uint8_t> bytes(values.begin(), values.end());
  NpyArray a = make_array(bytes, std::move(shape), "|b1");
  return a;
}

NpyArray parse_npy(const std::string& bytes, const std::string& name) {
  if (bytes.size() < kMagicLen + 4 || bytes.compare(0, kMagicLen, kMagic, kMagicLen) != 0)
    fail(name, "not a .npy file (bad magic)");
  const auto* u = reinterpret_cast<const uint8_t*>(bytes.data());
  int major = u[6];
  size_t header_len = 0, prefix = 0;
  if (major == 1) {
    header_len = u[8] | (size_t(u[9]) << 8);
    prefix = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) fail(name, "truncated header");
    header_len = u[8] | (size_t(u[9]) << 8) | (size_t(u[10]) << 16) | (size_t(u[11]) << 24);
    prefix = 12;
  } else {
    fail(name, "unsupported .npy format version " + std::to_string(major) + "." + std::to_string(u[7]));
  }
  if (bytes.size() < prefix + header_len) fail(name, "truncated header");
  std::string header = bytes.substr(prefix, header_len);

  NpyArray a;
  a.source = name;
  std::string descr;
  bool fortran = false;
  HeaderParser(header, name).parse(descr, fortran, a.shape);
  a.dtype = normalize_descr(descr, name);
  int64_t n = a.size();
  if (n < 0 || static_cast<uint64_t>(n) > bytes.size()) fail(name, "shape " + shape_repr(a.shape) + " is larger than the file");
  if (fortran && a.shape.size() > 1 && n > 1)
    fail(name, "Fortran-order arrays are not supported (save with np.ascontiguousarray)");

  size_t need = static_cast<size_t>(n) * find_dtype(a.dtype)->size;
  size_t have = bytes.size() - prefix - header_len;
  if (have != need)
    fail(name, "data holds " + std::to_string(have) + " bytes, shape " + shape_repr(a.shape) + " of " + a.dtype +
                   " needs " + std::to_string(need));
  a.data.assign(u + prefix + header_len, u + bytes.size());
  return a;
}

NpyArray read_npy(const std::string& path) { return parse_npy(read_file(path), path); }

std::string npy_bytes(const NpyArray& arr) {
  const DtypeInfo& d = dtype_or_fail(arr);
  if (static_cast<int64_t>(arr.data.size()) != arr.size() * static_cast<int64_t>(d.size))
    fail(where_of(arr), "holds " + std::to_string(arr.data.size()) + " bytes, shape " + shape_repr(arr.shape) +
                            " of " + arr.dtype + " needs " + std::to_string(arr.size() * d.size));
  std::string header = "{'descr': '" + arr.dtype + "', 'fortran_order': False, 'shape': " + shape_repr(arr.shape) + ", }";
  if (!arr.shape.empty()) {
    size_t digits = std::to_string(arr.shape[0]).size();
    if (digits < kGrowthDigits) header.append(kGrowthDigits - digits, ' ');
  }
  // Version 1 stores the header length in 2 bytes; longer headers need version 2 (4 bytes).
  size_t prefix = 10;
  int major = 1;
  size_t pad = kAlign - (prefix + header.size() + 1) % kAlign;
  if (header.size() + pad + 1 > 0xFFFF) {
    prefix = 12;
    major = 2;
    pad = kAlign - (prefix + header.size() + 1) % kAlign;
  }
  header.append(pad, ' ');
  header += '\n';

  std::string out(kMagic, kMagicLen);
  out += static_cast<char>(major);
  out += '\0';
  size_t len = header.size();
  for (size_t i = 0; i < prefix - 8; ++i) out += static_cast<char>((len >> (8 * i)) & 0xFF);
  out += header;
  out.append(reinterpret_cast<const char*>(arr.data.data()), arr.data.size());
  return out;
}

void write_npy(const std::string& path, const NpyArray& arr) { write_file_atomic(path, npy_bytes(arr)); }

}  // namespace bua
