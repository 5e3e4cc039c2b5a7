#include "bua/util/progress.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>

#include "bua/util/log.h"

namespace bua {

std::string format_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  char buf[32];
  if (s < 10) {
    std::snprintf(buf, sizeof(buf), "%.1fs", s);
    return buf;
  }
  auto total = static_cast<long long>(std::llround(s));
  long long d = total / 86400, h = total / 3600 % 24, m = total / 60 % 60, sec = total % 60;
  if (d > 0) std::snprintf(buf, sizeof(buf), "%lldd%02lldh", d, h);
  else if (h > 0) std::snprintf(buf, sizeof(buf), "%lldh%02lldm", h, m);
  else if (m > 0) std::snprintf(buf, sizeof(buf), "%lldm%02llds", m, sec);
  else std::snprintf(buf, sizeof(buf), "%llds", sec);
  return buf;
}

std::string format_rate(double r) {
  if (!std::isfinite(r)) return "?";
  char buf[32];
  std::snprintf(buf, sizeof(buf), r < 10 ? "%.2f" : r < 1000 ? "%.1f" : "%.0f", r);
  return buf;
}

Progress::Progress(std::string label, int64_t total, std::string unit, ProgressOptions options)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      options_(std::move(options)),
      uncaught_at_start_(std::uncaught_exceptions()) {
  terminal_ = options_.terminal.value_or(log_is_terminal());
  start_ = now();
  last_report_ = start_;
}

Progress::~Progress() {
  if (std::uncaught_exceptions() > uncaught_at_start_) {
    // The work failed: its error will be printed, a "done" line would mislead.
    std::lock_guard<std::mutex> lock(mutex_);
    if (terminal_ && reported_ && !finished_) set_status_line("");
    finished_ = true;
    return;
  }
  finish();
}

double Progress::now() const {
  if (options_.clock) return options_.clock();
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

void Progress::add(int64_t n) {
  std::lock_guard<std::mutex> lock(mutex_);
  done_ += n;
  maybe_report_locked();
}

void Progress::set(int64_t done, double fraction) {
  std::lock_guard<std::mutex> lock(mutex_);
  done_ = done;
  fraction_ = fraction;
  maybe_report_locked();
}

int64_t Progress::done() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return done_;
}

std::string Progress::status() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return status_locked(now() - start_);
}

std::string Progress::status_locked(double elapsed) const {
  std::string s = label_ + ": " + std::to_string(done_);
  if (total_ >= 0) s += "/" + std::to_string(total_);
  s += " " + unit_;
  double fraction = fraction_;
  if (fraction < 0 && total_ > 0) fraction = static_cast<double>(done_) / static_cast<double>(total_);
  if (fraction >= 0) {
    char pct[16];
    std::snprintf(pct, sizeof(pct), " (%.1f%%)", 100.0 * std::min(fraction, 1.0));
    s += pct;
  }
  if (elapsed > 0 && done_ > 0) s += ", " + format_rate(done_ / elapsed) + " " + unit_ + "/s";
  // ETA from the share done so far at the average pace: elapsed * (1 - f) / f.
  if (fraction > 0 && fraction < 1 && elapsed > 0) s += ", ETA " + format_duration(elapsed * (1 - fraction) / fraction);
  s += ", elapsed " + format_duration(elapsed);
  return s;
}

void Progress::maybe_report_locked() {
  if (finished_) return;
  double t = now();
  double interval = terminal_ ? options_.tty_interval_s : options_.plain_interval_s;
  if (t - last_report_ < interval) return;
  last_report_ = t;
  reported_ = true;
  if (terminal_) set_status_line(status_locked(t - start_));
  else log_info(status_locked(t - start_));
}

void Progress::finish() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (finished_) return;
  finished_ = true;
  if (!reported_) return;
  double elapsed = now() - start_;
  if (terminal_) set_status_line("");
  std::string s = label_ + ": " + std::to_string(done_);
  if (total_ >= 0) s += "/" + std::to_string(total_);
  s += " " + unit_ + " in " + format_duration(elapsed);
  if (elapsed > 0 && done_ > 0) s += ", " + format_rate(done_ / elapsed) + " " + unit_ + "/s";
  log_info(s);
}

}  // namespace bua
