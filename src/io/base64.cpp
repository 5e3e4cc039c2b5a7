#include "bua/io/base64.h"

#include <array>
#include <cstdio>

#include "bua/util/error.h"

namespace bua {
namespace {

const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr uint8_t kInvalid = 0xFF;

std::array<uint8_t, 256> make_decode_table() {
  std::array<uint8_t, 256> t{};
  t.fill(kInvalid);
  for (int i = 0; i < 64; ++i) t[static_cast<uint8_t>(kAlphabet[i])] = static_cast<uint8_t>(i);
  return t;
}
const std::array<uint8_t, 256> kDecode = make_decode_table();

std::string describe_char(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u >= 0x21 && u < 0x7F) return std::string("'") + c + "'";
  char buf[8];
  std::snprintf(buf, sizeof(buf), "0x%02X", u);
  return buf;
}

// Offset of the first character that cannot be in base64 text: one outside the alphabet, or a '=' that is
// not trailing padding. npos when there is none. Only run on the error path, so that a stray space or a
// foreign character is reported as such rather than as the length or size problem it also causes.
size_t first_bad_char(std::string_view text) {
  const size_t pad_from = text.size() >= 2 ? text.size() - 2 : 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '=') {
      if (i < pad_from || (i + 1 < text.size() && text[i + 1] != '=')) return i;
    } else if (kDecode[static_cast<uint8_t>(text[i])] == kInvalid) {
      return i;
    }
  }
  return std::string_view::npos;
}

[[noreturn]] void fail_bad_char(std::string_view text, size_t at, const std::string& where) {
  fail(where, "bad base64 character " + describe_char(text[at]) + " at offset " + std::to_string(at));
}

}  // namespace

std::string base64_encode(const void* data, size_t size) {
  const auto* p = static_cast<const uint8_t*>(data);
  std::string out;
  out.resize((size + 2) / 3 * 4);
  char* o = out.data();
  size_t i = 0;
  for (; i + 3 <= size; i += 3) {
    uint32_t v = (uint32_t(p[i]) << 16) | (uint32_t(p[i + 1]) << 8) | p[i + 2];
    *o++ = kAlphabet[v >> 18];
    *o++ = kAlphabet[(v >> 12) & 63];
    *o++ = kAlphabet[(v >> 6) & 63];
    *o++ = kAlphabet[v & 63];
  }
  if (size - i == 1) {
    uint32_t v = uint32_t(p[i]) << 16;
    *o++ = kAlphabet[v >> 18];
    *o++ = kAlphabet[(v >> 12) & 63];
    *o++ = '=';
    *o++ = '=';
  } else if (size - i == 2) {
    uint32_t v = (uint32_t(p[i]) << 16) | (uint32_t(p[i + 1]) << 8);
    *o++ = kAlphabet[v >> 18];
    *o++ = kAlphabet[(v >> 12) & 63];
    *o++ = kAlphabet[(v >> 6) & 63];
    *o++ = '=';
  }
  return out;
}

size_t base64_decoded_size(std::string_view text, const std::string& where) {
  if (text.size() % 4 != 0) {
    if (const size_t at = first_bad_char(text); at != std::string_view::npos) fail_bad_char(text, at, where);
    fail(where, "bad base64: length " + std::to_string(text.size()) + " is not a multiple of 4 (truncated?)");
  }
  size_t pad = 0;
  if (!text.empty() && text.back() == '=') pad = text[text.size() - 2] == '=' ? 2 : 1;
  return text.size() / 4 * 3 - pad;
}

void base64_decode_into(std::string_view text, uint8_t* out, size_t out_size, const std::string& where) {
  size_t expected = base64_decoded_size(text, where);
  if (out_size != expected) {
    if (const size_t at = first_bad_char(text); at != std::string_view::npos) fail_bad_char(text, at, where);
    fail(where, "base64 holds " + std::to_string(expected) + " bytes, expected " + std::to_string(out_size));
  }
  size_t n = text.size();
  size_t pad = n / 4 * 3 - expected;  // trailing '=' count
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  auto bad_char = [&](size_t at) { fail_bad_char(text, at, where); };
  size_t full_quads = pad ? n / 4 - 1 : n / 4;
  uint8_t* o = out;
  for (size_t q = 0; q < full_quads; ++q) {
    const uint8_t* c = s + 4 * q;
    uint8_t a = kDecode[c[0]], b = kDecode[c[1]], d = kDecode[c[2]], e = kDecode[c[3]];
    if ((a | b | d | e) & 0x80) {  // valid values are < 64, kInvalid has the top bit
      for (size_t k = 0; k < 4; ++k)
        if (kDecode[c[k]] == kInvalid) bad_char(4 * q + k);
    }
    uint32_t v = (uint32_t(a) << 18) | (uint32_t(b) << 12) | (uint32_t(d) << 6) | e;
    *o++ = static_cast<uint8_t>(v >> 16);
    *o++ = static_cast<uint8_t>(v >> 8);
    *o++ = static_cast<uint8_t>(v);
  }
  if (pad) {
    size_t at = n - 4;
    const uint8_t* c = s + at;
    size_t data_chars = 4 - pad;  // 2 or 3; the rest are the '=' that set pad
    uint32_t v = 0;
    for (size_t k = 0; k < data_chars; ++k) {
      if (kDecode[c[k]] == kInvalid) bad_char(at + k);
      v |= uint32_t(kDecode[c[k]]) << (18 - 6 * k);
    }
    *o++ = static_cast<uint8_t>(v >> 16);
    if (pad == 1) *o++ = static_cast<uint8_t>(v >> 8);
  }
}

std::vector<uint8_t> base64_decode(std::string_view text, const std::string& where) {
  std::vector<uint8_t> out(base64_decoded_size(text, where));
  base64_decode_into(text, out.data(), out.size(), where);
  return out;
}

}  // namespace bua
