// The common frame of every tool: parse the flags with CLI11, run, and turn any error into one
// "<tool>: error: <message>" line on stderr and a non-zero exit — never a crash or a stack trace.
#pragma once
#include <CLI/CLI.hpp>

#include <exception>
#include <iostream>
#include <string>

namespace bua {

template <typename Body>
int tool_main(CLI::App& app, int argc, char** argv, Body&& body) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    return body();
  } catch (const std::exception& e) {
    std::cerr << app.get_name() << ": error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace bua
