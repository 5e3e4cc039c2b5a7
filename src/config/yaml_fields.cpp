#include "yaml_fields.h"

#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "bua/util/error.h"

namespace bua::config_detail {
namespace {

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
      return "nothing (null)";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Scalar:
      return node.Tag() == "!" ? "the quoted string '" + node.Scalar() + "'" : "'" + node.Scalar() + "'";
    default:
      return "an undefined value";
  }
}

// A quoted scalar ("5") is a string in YAML, so it never passes for a number or a bool; this mirrors
// config.py, which rejects a value whose Python type differs from the default's.
bool is_plain_scalar(const YAML::Node& node) { return node.IsScalar() && node.Tag() != "!"; }

template <typename T>
bool convert_scalar(const YAML::Node& node, T& out) {
  if (!is_plain_scalar(node)) return false;
  return YAML::convert<T>::decode(node, out);
}

bool convert_scalar(const YAML::Node& node, std::string& out) {
  if (!node.IsScalar()) return false;
  out = node.Scalar();
  return true;
}

const char* scalar_name(const bool*) { return "bool (true/false)"; }
const char* scalar_name(const int*) { return "int"; }
const char* scalar_name(const double*) { return "number"; }
const char* scalar_name(const std::string*) { return "string"; }

[[noreturn]] void type_error(const YAML::Node& node, const FieldContext& ctx, const YAML::Mark& fallback,
                             const std::string& key, const std::string& expected,
                             const std::string& hint = "") {
  const YAML::Mark mark = node.IsNull() || node.Mark().is_null() ? fallback : node.Mark();
  fail(location(ctx.source, mark, ctx.has_lines),
       "config key " + key + ": expected " + expected + ", got " + describe(node) + hint);
}

template <typename T>
void read_scalar(const YAML::Node& node, T* field, const FieldContext& ctx, const YAML::Mark& fallback) {
  T value{};
  if (!convert_scalar(node, value)) type_error(node, ctx, fallback, ctx.key, scalar_name(field));
  *field = value;
}

template <typename T>
void read_list(YAML::Node node, std::vector<T>* field, const FieldContext& ctx, const YAML::Mark& fallback) {
  const std::string expected = std::string("a list of ") + scalar_name(static_cast<T*>(nullptr)) + "s";
  if (!node.IsSequence()) {
    type_error(node, ctx, fallback, ctx.key, expected,
               node.IsScalar() ? " (write a one-item list as [" + node.Scalar() + "])" : "");
  }
  if (ctx.allow_nested) {
    while (node.size() == 1 && node[0].IsSequence()) node = node[0];
  }
  std::vector<T> values;
  for (std::size_t i = 0; i < node.size(); ++i) {
    T v{};
    if (!convert_scalar(node[i], v)) {
      type_error(node[i], ctx, node.Mark(), ctx.key + "[" + std::to_string(i) + "]",
                 scalar_name(static_cast<T*>(nullptr)));
    }
    values.push_back(v);
  }
  if (ctx.fixed_len != 0 && values.size() != ctx.fixed_len) {
    fail(location(ctx.source, node.Mark(), ctx.has_lines),
         "config key " + ctx.key + ": expected " + std::to_string(ctx.fixed_len) + " items, got " +
             std::to_string(values.size()));
  }
  *field = std::move(values);
}

}  // namespace

std::string location(const std::string& source, const YAML::Mark& mark, bool has_lines) {
  if (!has_lines || mark.is_null() || mark.line < 0) return source;
  return source + ":" + std::to_string(mark.line + 1);
}

YAML::Node parse_yaml(const std::string& text, const std::string& source, bool has_lines) {
  try {
    return YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    fail(location(source, e.mark, has_lines), "malformed YAML: " + e.msg);
  }
}

std::string read_text_file(const std::string& path) {
  // A directory opens fine as an ifstream and reads as nothing: an empty config that changes no key.
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) fail(path, "is a directory, not a config file");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open file");
  // Bounded: /dev/zero or a wrong file of gigabytes would otherwise be read whole before YAML sees it.
  std::string text(kMaxConfigFileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) fail(path, "read error");
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kMaxConfigFileBytes)
    fail(path, "larger than " + std::to_string(kMaxConfigFileBytes >> 20) + " MB: not a config file");
  return text;
}

void read_field(const YAML::Node& node, const FieldPtr& field, const FieldContext& ctx,
                const YAML::Mark& fallback) {
  std::visit(
      [&](auto* member) {
        using T = std::remove_pointer_t<decltype(member)>;
        if constexpr (std::is_same_v<T, std::vector<int>> || std::is_same_v<T, std::vector<double>>) {
          read_list(node, member, ctx, fallback);
        } else {
          read_scalar(node, member, ctx, fallback);
        }
      },
      field);
}

std::string format_double(double v) {
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof(buf), v);
  std::string s(buf, res.ptr);
  if (s == "inf") return ".inf";
  if (s == "-inf") return "-.inf";
  if (s == "nan" || s == "-nan") return ".nan";
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

void emit_field(YAML::Emitter& out, const FieldPtr& field) {
  std::visit(
      [&](auto* member) {
        using T = std::remove_pointer_t<decltype(member)>;
        if constexpr (std::is_same_v<T, double>) {
          out << format_double(*member);
        } else if constexpr (std::is_same_v<T, std::vector<double>>) {
          out << YAML::Flow << YAML::BeginSeq;
          for (double v : *member) out << format_double(v);
          out << YAML::EndSeq;
        } else if constexpr (std::is_same_v<T, std::vector<int>>) {
          out << YAML::Flow << YAML::BeginSeq;
          for (int v : *member) out << v;
          out << YAML::EndSeq;
        } else if constexpr (std::is_same_v<T, std::string>) {
          // Always quoted: keeps "" and look-alikes of numbers ("123") readable as strings.
          out << YAML::DoubleQuoted << *member;
        } else {
          out << *member;
        }
      },
      field);
}

}  // namespace bua::config_detail
