// Command-line checks shared by the tools that read or write feature outputs.
#pragma once
#include <CLI/CLI.hpp>

namespace bua {

// An existing file or folder, or the prefix of a captioning output (<prefix>_att exists).
CLI::Validator feature_input_validator();
// One of the names parse_feature_format takes.
CLI::Validator feature_format_validator();

}  // namespace bua
