#include "bua/util/error_text.h"

#include <new>

#include "bua/util/error.h"

namespace bua {
namespace {

constexpr size_t kMaxLine = 400;

std::string_view trim(std::string_view s) {
  const char* space = " \t\r\n";
  const size_t b = s.find_first_not_of(space);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(space) - b + 1);
}

}  // namespace

std::string without_foreign_trace(std::string_view what) {
  // c10::Error::what(): "<message>\nException raised from <function> at <file>:<line> (most recent call
  // first):\nframe #0: ...". The backtrace may also follow a message of ours that quotes it.
  const size_t trace = what.find("Exception raised from ");
  if (trace != std::string_view::npos) what = what.substr(0, trace);
  std::string out;
  // cv::Exception::what(): "OpenCV(4.6.0) /build/opencv/modules/imgproc/src/resize.cpp:4052: error:
  // (-215:Assertion failed) !dsize.empty() in function 'resize'", possibly after a prefix of ours.
  const size_t cv = what.find("OpenCV(");
  const size_t marker = cv == std::string_view::npos ? cv : what.find(": error: ", cv);
  if (marker != std::string_view::npos) {
    out = std::string(what.substr(0, cv)) + "OpenCV: " + std::string(what.substr(marker + 9));
  } else {
    out = std::string(what);
  }
  return std::string(trim(out));
}

std::string one_line_error(std::string_view what) {
  const std::string text = without_foreign_trace(what);
  std::string out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view line = trim(std::string_view(text).substr(start, end - start));
    if (!line.empty()) {
      if (!out.empty()) out += "; ";
      out += line;
    }
    start = end + 1;
  }
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';  // tabs and other control characters break list files
  if (out.size() > kMaxLine) out = out.substr(0, kMaxLine) + " ...";
  return out.empty() ? "unknown error" : out;
}

std::string one_line_error(const std::exception& e) {
  if (dynamic_cast<const std::bad_alloc*>(&e) != nullptr) return "out of memory (std::bad_alloc)";
  return one_line_error(std::string_view(e.what()));
}

std::string error_message(const std::exception& e) {
  if (dynamic_cast<const Error*>(&e) != nullptr) return without_foreign_trace(e.what());
  return one_line_error(e);
}

}  // namespace bua
