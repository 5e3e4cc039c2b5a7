// The one exception type of the library. Messages name the file (or flag) and the problem, so a tool
// can print what() and exit non-zero without adding context.
#pragma once
#include <stdexcept>
#include <string>

namespace bua {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws bua::Error with "<where>: <what>".
[[noreturn]] void fail(const std::string& where, const std::string& what);

}  // namespace bua
