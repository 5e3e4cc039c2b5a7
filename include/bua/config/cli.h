// The config flags every tool shares: --cfg FILE (repeatable, applied in order) and --set KEY VALUE ...
// (any number of pairs, applied after the files), as the original tools' --cfg and --set.
//
//   CLI::App app{"..."};
//   bua::ConfigFlags config_flags(app);
//   CLI11_PARSE(app, argc, argv);
//   const bua::Config cfg = config_flags.load();   // throws bua::Error on a bad file, key or value
//   std::cout << bua::to_yaml(cfg);
//
// --set takes every word up to the next option, so positional arguments go before it (or after "--").
#pragma once
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "bua/config/config.h"

namespace bua {

class ConfigFlags {
 public:
  explicit ConfigFlags(CLI::App& app) {
    app.add_option("--cfg", cfg_files_,
                   "config file (yml) to merge over the defaults; repeatable, applied in order")
        ->type_name("FILE")
        ->expected(1)  // one file per --cfg: a positional argument after it is not taken for a file
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    app.add_option("--set", set_words_, "config keys to set after the files: KEY VALUE [KEY VALUE ...]")
        ->type_name("KEY VALUE")
        // A finite bound lets the option take many words without allow_extra_args, which would make
        // CLI11 split a "[480, 600]" value into items.
        ->expected(1, 1 << 16)
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  }

  // Call after parsing. An odd number of --set words is a bua::Error.
  Config load() const { return load_config(cfg_files_, pair_set_args(set_words_)); }

  const std::vector<std::string>& cfg_files() const { return cfg_files_; }

 private:
  std::vector<std::string> cfg_files_;
  std::vector<std::string> set_words_;
};

}  // namespace bua
