#include "bua/util/log.h"

#include <unistd.h>

#include <chrono>
#include <ctime>
#include <iostream>
#include <mutex>

namespace bua {
namespace {

struct LogState {
  std::mutex mutex;
  LogLevel level = LogLevel::kInfo;
  std::ostream* out = nullptr;  // nullptr: std::cerr
  bool terminal = ::isatty(STDERR_FILENO) == 1;
  std::string status;           // the status line currently drawn, if any
};

LogState& state() {
  static LogState s;
  return s;
}

std::ostream& stream(LogState& s) { return s.out ? *s.out : std::cerr; }

const char kEraseLine[] = "\r\033[K";

std::string timestamp() {
  std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  ::localtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

void emit(LogLevel level, const char* tag, const std::string& message) {
  LogState& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (level < s.level) return;
  std::ostream& out = stream(s);
  if (s.terminal && !s.status.empty()) out << kEraseLine;
  out << timestamp() << ' ' << tag << ' ' << message << '\n';
  if (s.terminal && !s.status.empty()) out << s.status;
  out.flush();
}

}  // namespace

void set_log_level(LogLevel level) {
  std::lock_guard<std::mutex> lock(state().mutex);
  state().level = level;
}

LogLevel log_level() {
  std::lock_guard<std::mutex> lock(state().mutex);
  return state().level;
}

void log_debug(const std::string& message) { emit(LogLevel::kDebug, "DEBUG", message); }
void log_info(const std::string& message) { emit(LogLevel::kInfo, "INFO ", message); }
void log_warn(const std::string& message) { emit(LogLevel::kWarn, "WARN ", message); }
void log_error(const std::string& message) { emit(LogLevel::kError, "ERROR", message); }

void set_log_stream(std::ostream* out, bool terminal) {
  LogState& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.out = out;
  s.terminal = out ? terminal : ::isatty(STDERR_FILENO) == 1;
  s.status.clear();
}

bool log_is_terminal() {
  std::lock_guard<std::mutex> lock(state().mutex);
  return state().terminal;
}

void set_status_line(const std::string& line) {
  LogState& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (!s.terminal || s.level == LogLevel::kOff) return;
  std::ostream& out = stream(s);
  out << kEraseLine << line;
  out.flush();
  s.status = line;
}

}  // namespace bua
