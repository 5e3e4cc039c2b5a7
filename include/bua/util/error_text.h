// Foreign error text made fit for a user: c10::Error (LibTorch) appends a 30-frame stack trace to its
// message and cv::Exception leads with OpenCV's version and build path. Where such an exception reaches a
// tool's last line or a failures list, these keep the message and drop the rest.
#pragma once
#include <exception>
#include <string>
#include <string_view>

namespace bua {

// `what` without a LibTorch stack trace ("Exception raised from ... frame #0 ...") or OpenCV's
// "OpenCV(4.x) /path/file.cpp:123: error: " prefix; our own line breaks are kept.
std::string without_foreign_trace(std::string_view what);

// The same on one line (line breaks become "; ", capped at a few hundred characters), for messages that
// go into one log line or one failures.txt row. std::bad_alloc reads "out of memory".
std::string one_line_error(std::string_view what);
std::string one_line_error(const std::exception& e);

// What a user reads of an error that ends a command (a tool's last line, a Python exception): a bua::Error's
// message without a quoted foreign trace, its line breaks kept (a list of mismatched tensors); anything else
// (c10::Error, cv::Exception, std::bad_alloc ...) as one_line_error.
std::string error_message(const std::exception& e);

}  // namespace bua
