// Text cleaning of Visual Genome names, as the original data/genome/setup_vg.py does it with Python 3
// string methods: lower(), strip(), split() act on Unicode code points (UTF-8 here), not on bytes.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace bua {

// Python's str.isspace() for one code point.
bool is_python_space(char32_t c);
// str.lower(): ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic capitals (all VG's names need).
std::string python_lower(std::string_view utf8);
// str.strip() with no argument.
std::string python_strip(std::string_view utf8);
// str.split() with no argument: runs of whitespace separate, no empty words.
std::vector<std::string> python_split(std::string_view utf8);
// str.split(sep) for a non-empty separator: keeps empty pieces.
std::vector<std::string> split_on(std::string_view text, std::string_view sep);

// Whether the text holds a control character: C0 (NUL, tab, newline, ESC, ...), DEL or C1 (U+0080..U+009F).
bool has_control_character(std::string_view utf8);
// A name from the raw files made safe for XML 1.0 (which cannot carry most control characters) and for the
// one-name-per-line vocabulary and tab-separated count files: when it holds a control character, each one
// becomes a space and the words are joined by single spaces (python_split), so "red\tcar" reads as "red car"
// and "ca\0r" as "ca r". A name without control characters is returned unchanged, byte for byte as the
// original keeps it.
std::string normalize_vg_name(std::string_view utf8);

// The adjectives a multi-word object name may start with to be split into name + attributes.
bool is_common_attribute(std::string_view word);

// lower, strip, then one trailing '.' dropped (and strip again).
std::string clean_string(std::string_view s);

struct CleanObject {
  std::string name;
  std::vector<std::string> attributes;  // leading common adjectives split off the name
};
// "small red car" -> car + {small, red}; "red sports car" stays whole (not every leading word is common).
CleanObject clean_object_name(std::string_view s);
// Attribute strings split on " and " ("red and white" -> red, white), except "black and white".
std::vector<std::string> clean_attribute(std::string_view s);
// The cleaned predicate; empty when nothing is left.
std::string clean_relation(std::string_view s);

}  // namespace bua
