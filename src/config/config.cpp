#include "bua/config/config.h"

#include <filesystem>
#include <map>
#include <set>

#include "bua/util/error.h"
#include "config_keys.h"
#include "yaml_fields.h"

namespace bua {
namespace {

using config_detail::ConfigKey;
using config_detail::FieldContext;
using config_detail::location;

FieldContext context_for(const ConfigKey& row, const std::string& source, bool has_lines) {
  FieldContext ctx;
  ctx.source = source;
  ctx.key = row.key;
  ctx.fixed_len = row.fixed_len;
  ctx.allow_nested = row.allow_nested;
  ctx.has_lines = has_lines;
  return ctx;
}

// Like config.py's _merge_a_into_b: every key must exist; sections recurse.
void merge_map(Config& cfg, const YAML::Node& map, const std::string& prefix, const std::string& source) {
  std::set<std::string> seen;
  for (auto it = map.begin(); it != map.end(); ++it) {
    const YAML::Node name = it->first;  // a copy: it->first is a temporary of the iterator proxy
    const YAML::Node value = it->second;
    const std::string where = location(source, name.Mark());
    if (!name.IsScalar())
      fail(where, "config keys must be names, got a " + std::string(name.IsMap() ? "map" : "list"));
    const std::string key = prefix + name.Scalar();
    if (!seen.insert(key).second) fail(where, "duplicate config key " + key);
    if (const ConfigKey* row = config_detail::find_config_key(key)) {
      config_detail::read_field(value, row->member(cfg), context_for(*row, source, true), name.Mark());
      config_detail::check_config_range(*row, cfg, where);
    } else if (config_detail::is_config_section(key)) {
      if (!value.IsMap()) {
        fail(where, "config key " + key + " is a section: expected a map of its keys, got " +
                        (value.IsNull() ? std::string("nothing") : std::string("a value")));
      }
      merge_map(cfg, value, key + ".", source);
    } else {
      fail(where, "unknown config key " + key);
    }
  }
}

}  // namespace

void merge_config_yaml(Config& cfg, const std::string& yaml_text, const std::string& source) {
  const YAML::Node root = config_detail::parse_yaml(yaml_text, source);
  if (root.IsNull()) return;  // an empty file changes nothing
  if (!root.IsMap()) fail(location(source, root.Mark()), "expected a map of config keys at the top level");
  Config updated = cfg;  // all or nothing: an error leaves cfg as it was
  merge_map(updated, root, "", source);
  cfg = std::move(updated);
}

void merge_config_file(Config& cfg, const std::string& path) {
  merge_config_yaml(cfg, config_detail::read_text_file(path), path);
}

void set_config_value(Config& cfg, const std::string& key, const std::string& value) {
  const std::string source = "--set " + key + " " + value;
  const ConfigKey* row = config_detail::find_config_key(key);
  if (row == nullptr) {
    if (config_detail::is_config_section(key)) {
      fail(source, "config key " + key + " is a section; set its keys one at a time (" + key + ".KEY VALUE)");
    }
    fail(source, "unknown config key " + key);
  }
  Config updated = cfg;
  const config_detail::FieldPtr member = row->member(updated);
  if (auto* text = std::get_if<std::string*>(&member)) {
    // Like cfg_from_list, a string value is taken as written: no YAML quoting needed for paths.
    **text = value;
  } else {
    const YAML::Node node = config_detail::parse_yaml(value, source, false);
    config_detail::read_field(node, member, context_for(*row, source, false), YAML::Mark::null_mark());
  }
  config_detail::check_config_range(*row, updated, source);
  cfg = std::move(updated);
}

Config load_config(const std::vector<std::string>& cfg_files,
                   const std::vector<std::pair<std::string, std::string>>& sets) {
  Config cfg;
  for (const std::string& path : cfg_files) merge_config_file(cfg, path);
  for (const auto& [key, value] : sets) set_config_value(cfg, key, value);
  return cfg;
}

std::vector<std::pair<std::string, std::string>> pair_set_args(const std::vector<std::string>& flat) {
  if (flat.size() % 2 != 0) {
    fail("--set", "expects KEY VALUE pairs, got " + std::to_string(flat.size()) + " words (last: '" +
                      flat.back() + "' has no value)");
  }
  std::vector<std::pair<std::string, std::string>> pairs;
  for (std::size_t i = 0; i < flat.size(); i += 2) pairs.emplace_back(flat[i], flat[i + 1]);
  return pairs;
}

std::vector<std::string> config_keys() {
  std::vector<std::string> keys;
  for (const ConfigKey& row : config_detail::config_key_table()) keys.emplace_back(row.key);
  return keys;
}

std::string to_yaml(const Config& cfg) {
  Config copy = cfg;  // the table reaches members through a non-const Config
  // Top-level keys first, then one map per section, each in table order.
  std::vector<std::string> sections;
  std::map<std::string, std::vector<const ConfigKey*>> rows_of;
  for (const ConfigKey& row : config_detail::config_key_table()) {
    const std::string key = row.key;
    const std::size_t dot = key.find('.');
    const std::string section = dot == std::string::npos ? "" : key.substr(0, dot);
    if (rows_of.find(section) == rows_of.end()) sections.push_back(section);
    rows_of[section].push_back(&row);
  }
  YAML::Emitter out;
  out << YAML::BeginMap;
  for (const std::string& section : sections) {
    if (!section.empty()) out << YAML::Key << section << YAML::Value << YAML::BeginMap;
    for (const ConfigKey* row : rows_of[section]) {
      const std::string key = row->key;
      out << YAML::Key << (section.empty() ? key : key.substr(section.size() + 1)) << YAML::Value;
      config_detail::emit_field(out, row->member(copy));
    }
    if (!section.empty()) out << YAML::EndMap;
  }
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

std::string get_output_dir(const Config& cfg, const std::string& imdb_name, const std::string& net_name,
                           bool attributes) {
  namespace fs = std::filesystem;
  fs::path dir = fs::absolute(fs::path(cfg.ROOT_DIR) / "output" / cfg.EXP_DIR / imdb_name).lexically_normal();
  if (!net_name.empty()) dir /= net_name;
  if (attributes) dir /= "attr";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) fail(dir.string(), "cannot create output directory: " + ec.message());
  return dir.string();
}

}  // namespace bua
