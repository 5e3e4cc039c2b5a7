#include "bua/data/vg_text.h"

#include <array>

namespace bua {
namespace {

// Decodes one UTF-8 sequence at `pos` (advancing it). Bytes that do not form a valid sequence decode as
// themselves, one at a time, so nothing is lost on odd input.
char32_t decode_utf8(std::string_view s, size_t& pos) {
  const auto b0 = static_cast<unsigned char>(s[pos]);
  auto cont = [&](size_t i) { return i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80; };
  auto byte = [&](size_t i) { return static_cast<char32_t>(static_cast<unsigned char>(s[i]) & 0x3F); };
  if (b0 < 0x80) {
    pos += 1;
    return b0;
  }
  if ((b0 & 0xE0) == 0xC0 && b0 >= 0xC2 && cont(pos + 1)) {
    char32_t c = (static_cast<char32_t>(b0 & 0x1F) << 6) | byte(pos + 1);
    pos += 2;
    return c;
  }
  if ((b0 & 0xF0) == 0xE0 && cont(pos + 1) && cont(pos + 2)) {
    char32_t c = (static_cast<char32_t>(b0 & 0x0F) << 12) | (byte(pos + 1) << 6) | byte(pos + 2);
    if (c >= 0x800) {
      pos += 3;
      return c;
    }
  }
  if ((b0 & 0xF8) == 0xF0 && cont(pos + 1) && cont(pos + 2) && cont(pos + 3)) {
    char32_t c =
        (static_cast<char32_t>(b0 & 0x07) << 18) | (byte(pos + 1) << 12) | (byte(pos + 2) << 6) | byte(pos + 3);
    if (c >= 0x10000 && c <= 0x10FFFF) {
      pos += 4;
      return c;
    }
  }
  pos += 1;
  return 0xDC00 + b0;  // a lone surrogate stands for the raw byte (Python's surrogateescape)
}

void encode_utf8(char32_t c, std::string& out) {
  if (c >= 0xDC80 && c <= 0xDCFF) {
    out += static_cast<char>(c - 0xDC00);  // a raw byte kept by decode_utf8
  } else if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

// Lower case of one code point; U+0130 (dotted capital I) is the one that becomes two.
void append_lower(char32_t c, std::string& out) {
  char32_t l = c;
  if (c >= 'A' && c <= 'Z') {
    l = c + 32;
  } else if (c < 0x80) {
    l = c;
  } else if (c >= 0xC0 && c <= 0xDE && c != 0xD7) {
    l = c + 32;
  } else if (c == 0x130) {
    out += 'i';
    l = 0x307;
  } else if ((c >= 0x100 && c <= 0x12F) || (c >= 0x132 && c <= 0x137) || (c >= 0x14A && c <= 0x177)) {
    l = (c % 2 == 0) ? c + 1 : c;
  } else if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) {
    l = (c % 2 == 1) ? c + 1 : c;
  } else if (c == 0x178) {
    l = 0xFF;
  } else if (c == 0x386) {
    l = 0x3AC;
  } else if (c >= 0x388 && c <= 0x38A) {
    l = c + 37;
  } else if (c == 0x38C) {
    l = 0x3CC;
  } else if (c == 0x38E || c == 0x38F) {
    l = c + 63;
  } else if ((c >= 0x391 && c <= 0x3A1) || (c >= 0x3A3 && c <= 0x3AB)) {
    l = c + 32;
  } else if (c >= 0x400 && c <= 0x40F) {
    l = c + 80;
  } else if (c >= 0x410 && c <= 0x42F) {
    l = c + 32;
  }
  encode_utf8(l, out);
}

}  // namespace

bool is_python_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

std::string python_lower(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  for (size_t pos = 0; pos < utf8.size();) append_lower(decode_utf8(utf8, pos), out);
  return out;
}

std::string python_strip(std::string_view utf8) {
  size_t begin = utf8.size(), end = 0;
  for (size_t pos = 0; pos < utf8.size();) {
    size_t start = pos;
    if (!is_python_space(decode_utf8(utf8, pos))) {
      if (begin == utf8.size()) begin = start;
      end = pos;
    }
  }
  return begin < end ? std::string(utf8.substr(begin, end - begin)) : std::string();
}

std::vector<std::string> python_split(std::string_view utf8) {
  std::vector<std::string> words;
  size_t word_start = std::string_view::npos;
  for (size_t pos = 0; pos < utf8.size();) {
    size_t start = pos;
    bool space = is_python_space(decode_utf8(utf8, pos));
    if (space && word_start != std::string_view::npos) {
      words.emplace_back(utf8.substr(word_start, start - word_start));
      word_start = std::string_view::npos;
    } else if (!space && word_start == std::string_view::npos) {
      word_start = start;
    }
  }
  if (word_start != std::string_view::npos) words.emplace_back(utf8.substr(word_start));
  return words;
}

std::vector<std::string> split_on(std::string_view text, std::string_view sep) {
  std::vector<std::string> pieces;
  size_t start = 0;
  for (size_t hit = text.find(sep); hit != std::string_view::npos; hit = text.find(sep, start)) {
    pieces.emplace_back(text.substr(start, hit - start));
    start = hit + sep.size();
  }
  pieces.emplace_back(text.substr(start));
  return pieces;
}

namespace {

bool is_control(char32_t c) { return c < 0x20 || (c >= 0x7F && c <= 0x9F); }

}  // namespace

bool has_control_character(std::string_view utf8) {
  for (size_t pos = 0; pos < utf8.size();)
    if (is_control(decode_utf8(utf8, pos))) return true;
  return false;
}

std::string normalize_vg_name(std::string_view utf8) {
  if (!has_control_character(utf8)) return std::string(utf8);
  std::string spaced;
  spaced.reserve(utf8.size());
  for (size_t pos = 0; pos < utf8.size();) {
    const char32_t c = decode_utf8(utf8, pos);
    if (is_control(c)) spaced += ' ';
    else encode_utf8(c, spaced);
  }
  std::string out;
  for (const std::string& word : python_split(spaced)) out += (out.empty() ? "" : " ") + word;
  return out;
}

bool is_common_attribute(std::string_view word) {
  static const std::array<std::string_view, 19> kCommon = {
      "white",  "black",  "blue", "green", "red",   "brown", "yellow", "small", "large", "silver",
      "wooden", "orange", "gray", "grey",  "metal", "pink",  "tall",   "long",  "dark"};
  for (auto c : kCommon)
    if (c == word) return true;
  return false;
}

std::string clean_string(std::string_view s) {
  std::string out = python_strip(python_lower(s));
  if (!out.empty() && out.back() == '.') {
    out.pop_back();
    return python_strip(out);
  }
  return out;
}

CleanObject clean_object_name(std::string_view s) {
  CleanObject result;
  result.name = clean_string(s);
  std::vector<std::string> words = python_split(result.name);
  if (words.size() < 2) return result;
  for (size_t i = 0; i + 1 < words.size(); ++i)
    if (!is_common_attribute(words[i])) return result;
  result.name = words.back();
  words.pop_back();
  result.attributes = std::move(words);
  return result;
}

std::vector<std::string> clean_attribute(std::string_view s) {
  std::string cleaned = clean_string(s);
  if (cleaned == "black and white") return {cleaned};
  std::vector<std::string> parts = split_on(cleaned, " and ");
  for (auto& p : parts) p = python_strip(python_lower(p));
  return parts;
}

std::string clean_relation(std::string_view s) { return clean_string(s); }

}  // namespace bua
