// NumPy .npy arrays: read and write format versions 1 and 2 (3 is read too), little-endian, C order.
// Supported dtypes: <f4 <f8 <i4 <i8 |u1 |b1 — what the reference data and our outputs use.
// What we write is byte-identical to np.save of the same array (same header text and padding).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace bua {

struct NpyArray {
  std::string dtype;            // numpy descr, e.g. "<f4"
  std::vector<int64_t> shape;   // empty for a 0-d (scalar) array
  std::vector<uint8_t> data;    // raw little-endian bytes, C order
  std::string source;           // file (and member) it was read from; used in error messages only

  int64_t size() const;         // number of elements (1 for a 0-d array)
  size_t item_size() const;     // bytes per element
  int64_t dim(size_t i) const;  // shape[i], with a clear error when out of range

  // Typed copies. as_float/as_double accept <f4 and <f8; as_int64/as_int32 accept every integer or bool
  // dtype. Anything else throws bua::Error naming `source`.
  std::vector<float> as_float() const;
  std::vector<double> as_double() const;
  std::vector<int64_t> as_int64() const;
  std::vector<int32_t> as_int32() const;  // throws when a value does not fit

  // Builds an array from values; shape must multiply to values.size() (an empty shape means a scalar).
  static NpyArray from(const std::vector<float>& values, std::vector<int64_t> shape);
  static NpyArray from(const std::vector<double>& values, std::vector<int64_t> shape);
  static NpyArray from(const std::vector<int32_t>& values, std::vector<int64_t> shape);
  static NpyArray from(const std::vector<int64_t>& values, std::vector<int64_t> shape);
  static NpyArray from(const std::vector<uint8_t>& values, std::vector<int64_t> shape);
  static NpyArray from_bool(const std::vector<bool>& values, std::vector<int64_t> shape);
};

// Parses .npy bytes; `name` (a file or archive member) is used in error messages.
NpyArray parse_npy(const std::string& bytes, const std::string& name);
NpyArray read_npy(const std::string& path);

// Serializes like np.save: version 1 header (2 when the header needs it), padded to 64 bytes.
std::string npy_bytes(const NpyArray& arr);
void write_npy(const std::string& path, const NpyArray& arr);  // through a temp file, then renamed

}  // namespace bua
