// Progress of a long loop: count, total when known, rate and ETA. On a terminal it redraws one status
// line (see util/log.h); elsewhere (a log file, a batch job) it prints a plain log line every few seconds.
// Thread-safe: workers may call add() concurrently.
#pragma once
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

namespace bua {

struct ProgressOptions {
  double plain_interval_s = 30.0;   // not a terminal: one line at most this often
  double tty_interval_s = 0.2;      // terminal: redraw at most this often
  std::optional<bool> terminal;     // default: whether the log stream is a terminal
  std::function<double()> clock;    // seconds, monotonic; default steady_clock (tests inject their own)
};

class Progress {
 public:
  // `total` < 0 means unknown; `unit` names what is counted ("images", "rows").
  Progress(std::string label, int64_t total = -1, std::string unit = "items", ProgressOptions options = {});
  ~Progress();  // finish()es, unless an exception is unwinding (then only the status line is erased)
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void add(int64_t n = 1);
  // Sets the count. `fraction` in [0, 1], when given, is the share of the work done (e.g. bytes read of a
  // file whose row count is unknown) and drives the percentage and ETA instead of count/total.
  void set(int64_t done, double fraction = -1.0);
  // Prints the closing line ("label: 5000 rows in 40s, 125 rows/s") if the work took long enough to
  // report progress at all (a quick job stays silent); later calls do nothing.
  void finish();

  int64_t done() const;
  std::string status() const;  // the text of the current line

 private:
  double now() const;
  std::string status_locked(double elapsed) const;
  void maybe_report_locked();

  std::string label_;
  std::string unit_;
  int64_t total_;
  ProgressOptions options_;
  bool terminal_;
  mutable std::mutex mutex_;
  double start_;
  double last_report_;
  int64_t done_ = 0;
  double fraction_ = -1.0;
  bool finished_ = false;
  bool reported_ = false;   // a progress line was printed
  int uncaught_at_start_;   // std::uncaught_exceptions() when constructed
};

// "0.4s", "12s", "3m05s", "2h07m", "3d04h".
std::string format_duration(double seconds);
// "0.52", "12.3", "1234".
std::string format_rate(double per_second);

}  // namespace bua
