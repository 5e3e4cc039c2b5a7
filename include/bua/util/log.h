// Timestamped messages to stderr: "2024-05-01 12:34:56 INFO  message". Thread-safe. A progress reporter
// may keep one status line at the bottom of a terminal; messages are printed above it.
#pragma once
#include <ostream>
#include <string>

namespace bua {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kOff = 4 };

void set_log_level(LogLevel level);  // messages below it are dropped (default: kInfo)
LogLevel log_level();

void log_debug(const std::string& message);
void log_info(const std::string& message);
void log_warn(const std::string& message);
void log_error(const std::string& message);

// Sends messages to `out` instead of std::cerr (nullptr restores std::cerr); `terminal` says whether
// it is a terminal that understands "\r" and the erase-line escape. For tests and embedding.
void set_log_stream(std::ostream* out, bool terminal = false);
// Whether the log stream is a terminal (by default: whether stderr is a tty).
bool log_is_terminal();

// The status line (terminal only): drawn after "\r", redrawn below every message; empty erases it.
void set_status_line(const std::string& line);

}  // namespace bua
