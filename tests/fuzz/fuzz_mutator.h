// The mutation engine of the fuzz suite: a seeded, portable generator (no std::*_distribution, whose
// output differs between standard libraries) and the mutations a hostile user tries — byte and bit
// flips, truncations, erased and duplicated chunks, interesting values inserted as bytes and as text,
// numbers in text replaced by extreme ones, and splices of two corpus entries. The same seed gives the
// same inputs on every machine, so a failure found by the short run is found again.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace bua::fuzz {

// splitmix64: tiny, fast, and the same everywhere.
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform enough in [0, n); n == 0 gives 0.
  size_t below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(next() % n); }
  bool chance(unsigned one_in) { return below(one_in) == 0; }

 private:
  uint64_t state_;
};

namespace detail {

template <typename T>
std::string bytes_of(T v) {  // little-endian, as every format here stores integers
  std::string s(sizeof(T), '\0');
  for (size_t i = 0; i < sizeof(T); ++i) s[i] = static_cast<char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xFF);
  return s;
}

// Binary values that break size and offset fields: extremes of each width, powers of two whose product
// with a small count wraps (2^62 * 4 == 0), and the float specials.
inline const std::vector<std::string>& interesting_bytes() {
  static const std::vector<std::string> v = [] {
    std::vector<std::string> out;
    for (uint64_t x : {0ull, 1ull, 0x7Full, 0x80ull, 0xFFull, 0x7FFFull, 0x8000ull, 0xFFFFull, 0x7FFFFFFFull,
                       0x80000000ull, 0xFFFFFFFFull, 0x4000000000000000ull, 0x7FFFFFFFFFFFFFFFull,
                       0x8000000000000000ull, 0xFFFFFFFFFFFFFFFFull}) {
      out.push_back(bytes_of<uint64_t>(x));
      out.push_back(bytes_of<uint32_t>(static_cast<uint32_t>(x)));
      out.push_back(bytes_of<uint16_t>(static_cast<uint16_t>(x)));
    }
    for (float f : {__builtin_nanf(""), __builtin_inff(), -__builtin_inff(), 3.4e38f, -0.0f}) {
      uint32_t u;
      std::memcpy(&u, &f, 4);
      out.push_back(bytes_of<uint32_t>(u));
    }
    out.push_back(std::string(8, '\xFF'));
    out.push_back(std::string(16, '\xFF'));
    out.push_back(std::string(4, '\0'));
    // Protobuf: a varint that never ends and a length-delimited field of huge length.
    out.push_back("\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\x01");
    out.push_back(std::string("\x0A\xFF\xFF\xFF\xFF\x0F", 6));
    return out;
  }();
  return v;
}

// Text that breaks parsers of numbers, JSON, YAML and TSV rows.
inline const std::vector<std::string>& interesting_text() {
  static const std::vector<std::string> v = {
      "0", "-1", "1", "4611686018427387904", "9223372036854775807", "-9223372036854775808",
      "9223372036854775808", "18446744073709551615", "18446744073709551616", "2147483647", "2147483648",
      "-2147483649", "4294967296", "65536", "1e39", "-1e39", "1e308", "1e309", "-1e309", "1e-320", "nan",
      "NaN", "inf", "-inf", "Infinity", ".nan", ".inf", "-.inf", "0x7fffffff", "1.5", "-0", "00000000001",
      "", "\"\"", "null", "true", "[]", "{}", "[[]]", "[[0,0,0,0]]", "\t", "\n", "\r\n", "\r", " ",
      std::string(1, '\0'), "\x01", "\x7F", "\xC3\xA9", "\xFF", "\"", "'", "\\", "\\u0000", "\\ud800", ":",
      ",", "- ", "&a", "*a", "!!binary", "? ", "{{", "]]]]", "=", "AAAA", "////", "+/+/", "====",
  };
  return v;
}

}  // namespace detail

class Mutator {
 public:
  explicit Mutator(uint64_t seed) : rng_(seed) {}

  // One to four stacked mutations of `input`; `corpus` feeds the splices. Never longer than max_size.
  std::string mutate(const std::string& input, const std::vector<std::string>& corpus, size_t max_size) {
    std::string s = input;
    const size_t rounds = 1 + rng_.below(4);
    for (size_t r = 0; r < rounds; ++r) mutate_once(s, corpus);
    if (s.size() > max_size) s.resize(max_size);
    return s;
  }

  Random& rng() { return rng_; }

 private:
  size_t pos(const std::string& s) { return rng_.below(s.size() + 1); }

  // A position biased towards the start: headers and length fields live there.
  size_t early_pos(const std::string& s) {
    size_t limit = std::min<size_t>(s.size(), rng_.chance(2) ? 64 : 1024);
    return rng_.below(limit + 1);
  }

  void mutate_once(std::string& s, const std::vector<std::string>& corpus) {
    switch (rng_.below(12)) {
      case 0:  // flip a byte
        if (!s.empty()) s[rng_.below(s.size())] ^= static_cast<char>(1 + rng_.below(255));
        break;
      case 1:  // flip a bit
        if (!s.empty()) s[rng_.below(s.size())] ^= static_cast<char>(1u << rng_.below(8));
        break;
      case 2:  // truncate
        s.resize(rng_.chance(2) ? pos(s) : early_pos(s));
        break;
      case 3: {  // erase a chunk
        if (s.empty()) break;
        size_t at = rng_.below(s.size());
        s.erase(at, 1 + rng_.below(std::min<size_t>(s.size() - at, 64)));
        break;
      }
      case 4: {  // insert interesting bytes
        const auto& v = detail::interesting_bytes();
        s.insert(rng_.chance(2) ? early_pos(s) : pos(s), v[rng_.below(v.size())]);
        break;
      }
      case 5: {  // overwrite with interesting bytes in place (length and offset fields keep their place)
        const auto& v = detail::interesting_bytes();
        const std::string& b = v[rng_.below(v.size())];
        if (s.size() < b.size()) break;
        size_t at = rng_.chance(2) ? std::min(early_pos(s), s.size() - b.size()) : rng_.below(s.size() - b.size() + 1);
        s.replace(at, b.size(), b);
        break;
      }
      case 6: {  // insert interesting text
        const auto& v = detail::interesting_text();
        s.insert(pos(s), v[rng_.below(v.size())]);
        break;
      }
      case 7:
      case 8:  // replace a number in text (a count, a size, a coordinate) with an extreme one
        replace_number(s);
        break;
      case 9: {  // duplicate a chunk somewhere else
        if (s.empty()) break;
        size_t at = rng_.below(s.size());
        std::string chunk = s.substr(at, 1 + rng_.below(std::min<size_t>(s.size() - at, 256)));
        s.insert(pos(s), chunk);
        break;
      }
      case 10: {  // splice: a prefix of this input and a suffix of another corpus entry
        if (corpus.empty()) break;
        const std::string& other = corpus[rng_.below(corpus.size())];
        s = s.substr(0, pos(s)) + other.substr(rng_.below(other.size() + 1));
        break;
      }
      default: {  // replace a byte by a delimiter (structure-breaking for text formats)
        static const char kDelims[] = "\t\n\r,:[]{}\"'\\ \0";
        if (!s.empty()) s[rng_.below(s.size())] = kDelims[rng_.below(sizeof(kDelims) - 1)];
        break;
      }
    }
  }

  void replace_number(std::string& s) {
    if (s.empty()) return;
    // The first digit run at or after a random position (wrapping once).
    size_t start = rng_.below(s.size());
    size_t at = std::string::npos;
    for (size_t k = 0; k < s.size(); ++k) {
      size_t i = (start + k) % s.size();
      if (s[i] >= '0' && s[i] <= '9') {
        at = i;
        break;
      }
    }
    if (at == std::string::npos) return;
    while (at > 0 && ((s[at - 1] >= '0' && s[at - 1] <= '9') || s[at - 1] == '-' || s[at - 1] == '.')) --at;
    size_t end = at;
    while (end < s.size() && ((s[end] >= '0' && s[end] <= '9') || s[end] == '.' || s[end] == 'e' || s[end] == 'E' ||
                              s[end] == '-' || s[end] == '+'))
      ++end;
    static const std::vector<std::string> kNumbers = {
        "0", "-1", "4611686018427387904", "9223372036854775807", "-9223372036854775808", "18446744073709551616",
        "2147483648", "4294967296", "1e39", "-1e39", "1e309", "nan", ".nan", "1e-320", "65535", "100000",
        "200000", "-0.0", "3.5"};
    s.replace(at, end - at, kNumbers[rng_.below(kNumbers.size())]);
  }

  Random rng_;
};

}  // namespace bua::fuzz
