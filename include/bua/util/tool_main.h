// The common frame of every tool: parse the flags with CLI11, run, and turn any error into one
// "<tool>: error: <message>" line on stderr and a non-zero exit — never a crash or a stack trace.
#pragma once
#include <CLI/CLI.hpp>

#include <exception>
#include <iostream>
#include <string>

#include "bua/util/error.h"
#include "bua/util/error_text.h"

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
    // bua::Error, c10::Error, cv::Exception, std::bad_alloc ...: the message, no stack trace.
    std::cerr << app.get_name() << ": error: " << error_message(e) << "\n";
    return 1;
  }
}

}  // namespace bua
