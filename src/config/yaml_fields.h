// Private to src/config: typed reading and printing of one config value, shared by the detector
// options (Config) and the network shape (ArchConfig). Each owner keeps one table of
// (key, member accessor) rows; these helpers do the YAML work for every row alike.
#pragma once
#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <string>
#include <variant>
#include <vector>

namespace bua::config_detail {

// A member of a config struct; the alternative says its type.
using FieldPtr = std::variant<bool*, int*, double*, std::string*, std::vector<int>*, std::vector<double>*>;

// Where a value came from, for error messages: "<source>:<line>: <key>: <problem>".
struct FieldContext {
  std::string source;         // a file name, "<string>", or "--set"
  std::string key;            // dotted key
  std::size_t fixed_len = 0;  // a list must have exactly this many items (0: any)
  bool allow_nested = false;  // a list may come wrapped in singleton lists ([[[b, g, r]]])
  bool has_lines = true;      // false for text that is not a file (a --set value): no ":<line>"
};

// "<source>:<line>" (1-based line), or just source when the mark is unknown or has_lines is false.
std::string location(const std::string& source, const YAML::Mark& mark, bool has_lines = true);

// Parses YAML text; malformed YAML is a bua::Error naming source and line.
YAML::Node parse_yaml(const std::string& text, const std::string& source, bool has_lines = true);

// Config and architecture files are a few KB; anything past this is not one.
constexpr std::size_t kMaxConfigFileBytes = std::size_t(4) << 20;

// Reads the whole file; a missing, unreadable or oversized file, or a directory, is a bua::Error naming it.
std::string read_text_file(const std::string& path);

// Stores node into *field after checking its type (an int is fine for a double; any scalar for a
// string; a list needs a sequence). `fallback` is the mark used when node's own mark is useless (a
// null value has the mark of whatever follows it). Throws bua::Error naming source, line and key.
void read_field(const YAML::Node& node, const FieldPtr& field, const FieldContext& ctx,
                const YAML::Mark& fallback);

// Writes the value of *field (lists in flow style, doubles in shortest round-trip form).
void emit_field(YAML::Emitter& out, const FieldPtr& field);

// Shortest text that reads back as the same double, always with a '.' or exponent ("1.0", "1e-14").
std::string format_double(double v);

}  // namespace bua::config_detail
