#include "bua/io/feature_cli.h"

#include <filesystem>

#include "bua/io/captioning_features.h"
#include "bua/io/feature_sink.h"
#include "bua/util/error.h"

namespace bua {

CLI::Validator feature_input_validator() {
  return CLI::Validator(
      [](std::string& path) -> std::string {
        std::error_code ec;
        if (std::filesystem::exists(path, ec) || is_captioning_prefix(path)) return "";
        return "no such file, folder or captioning output (" + path + "_att): " + path;
      },
      "PATH");
}

CLI::Validator feature_format_validator() {
  return CLI::Validator(
      [](std::string& name) -> std::string {
        try {
          parse_feature_format(name);
          return "";
        } catch (const Error&) {
          return "unknown format '" + name + "' (expected " + feature_format_names() + ")";
        }
      },
      "FORMAT");
}

}  // namespace bua
