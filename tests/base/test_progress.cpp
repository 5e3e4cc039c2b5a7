#include "bua/util/progress.h"

#include <gtest/gtest.h>

#include <sstream>
#include <thread>
#include <vector>

#include "bua/util/log.h"

namespace {

// Captures the log for one test and restores stderr afterwards.
class LogCapture {
 public:
  explicit LogCapture(bool terminal) { bua::set_log_stream(&out_, terminal); }
  ~LogCapture() { bua::set_log_stream(nullptr); }
  std::string text() const { return out_.str(); }
  size_t count(const std::string& needle) const {
    size_t n = 0;
    std::string s = out_.str();
    for (size_t p = s.find(needle); p != std::string::npos; p = s.find(needle, p + 1)) ++n;
    return n;
  }

 private:
  std::ostringstream out_;
};

struct FakeClock {
  double t = 100.0;
  std::function<double()> fn() {
    return [this] { return t; };
  }
};

}  // namespace

TEST(Progress, FormatsDurationsAndRates) {
  EXPECT_EQ(bua::format_duration(0.44), "0.4s");
  EXPECT_EQ(bua::format_duration(12.4), "12s");
  EXPECT_EQ(bua::format_duration(185), "3m05s");
  EXPECT_EQ(bua::format_duration(7620), "2h07m");
  EXPECT_EQ(bua::format_duration(3 * 86400 + 4 * 3600), "3d04h");
  EXPECT_EQ(bua::format_duration(-1), "?");
  EXPECT_EQ(bua::format_rate(0.5234), "0.52");
  EXPECT_EQ(bua::format_rate(12.34), "12.3");
  EXPECT_EQ(bua::format_rate(1234.4), "1234");
}

TEST(Progress, StatusShowsCountTotalRateAndEta) {
  LogCapture log(false);
  FakeClock clock;
  bua::ProgressOptions opt;
  opt.clock = clock.fn();
  bua::Progress p("extract", 1000, "images", opt);
  clock.t += 20;
  p.set(250);
  // 250 in 20 s: 12.5 images/s, 750 left: 60 s.
  EXPECT_EQ(p.status(), "extract: 250/1000 images (25.0%), 12.5 images/s, ETA 1m00s, elapsed 20s");

  bua::Progress unknown("read", -1, "rows", opt);
  clock.t += 4;
  unknown.set(40);
  EXPECT_EQ(unknown.status(), "read: 40 rows, 10.0 rows/s, elapsed 4.0s");
  // A fraction (bytes read) gives a percentage and an ETA without a total.
  unknown.set(40, 0.8);
  EXPECT_EQ(unknown.status(), "read: 40 rows (80.0%), 10.0 rows/s, ETA 1.0s, elapsed 4.0s");
}

TEST(Progress, PlainOutputPrintsALineEveryInterval) {
  LogCapture log(false);
  FakeClock clock;
  bua::ProgressOptions opt;
  opt.clock = clock.fn();
  opt.plain_interval_s = 10;
  {
    bua::Progress p("extract", 100, "images", opt);
    for (int i = 0; i < 100; ++i) {
      clock.t += 1;  // one image per second: a line at 10, 20, ... 100 s
      p.add();
    }
    EXPECT_EQ(log.count(" INFO  extract: "), 10u);
    EXPECT_EQ(log.text().find('\r'), std::string::npos);
    p.finish();
    p.finish();
  }
  EXPECT_EQ(log.count(" INFO  extract: "), 11u);
  EXPECT_NE(log.text().find("extract: 100/100 images in 1m40s, 1.00 images/s\n"), std::string::npos) << log.text();
}

TEST(Progress, TerminalRedrawsOneLineAndKeepsItBelowMessages) {
  LogCapture log(true);
  FakeClock clock;
  bua::ProgressOptions opt;
  opt.clock = clock.fn();
  opt.tty_interval_s = 0.5;
  bua::Progress p("convert", 10, "rows", opt);
  clock.t += 1;
  p.add(3);
  EXPECT_NE(log.text().find("\r\033[Kconvert: 3/10 rows (30.0%)"), std::string::npos);
  bua::log_warn("duplicate id 42");
  // The message erases the status line, prints itself, then redraws the status.
  std::string text = log.text();
  size_t warn = text.find(" WARN  duplicate id 42\n");
  ASSERT_NE(warn, std::string::npos);
  EXPECT_EQ(text.compare(warn + 23, 8, "convert:"), 0) << text;
  clock.t += 0.1;
  p.add();  // too soon to redraw
  EXPECT_EQ(log.count("convert: 4/10"), 0u);
  p.finish();
  EXPECT_NE(log.text().find("convert: 4/10 rows in 1.1s"), std::string::npos);
}

TEST(Progress, CountsFromManyThreads) {
  LogCapture log(false);
  bua::Progress p("work", -1, "items");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&p] {
      for (int i = 0; i < 10000; ++i) p.add();
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(p.done(), 40000);
}

TEST(Log, LevelsAndTimestamps) {
  LogCapture log(false);
  bua::set_log_level(bua::LogLevel::kWarn);
  bua::log_info("hidden");
  bua::log_error("shown");
  bua::set_log_level(bua::LogLevel::kInfo);
  bua::log_debug("hidden too");
  std::string text = log.text();
  EXPECT_EQ(text.find("hidden"), std::string::npos);
  // "YYYY-MM-DD HH:MM:SS ERROR shown"
  ASSERT_EQ(text.size(), 32u) << text;
  EXPECT_EQ(text.substr(19), " ERROR shown\n");
  EXPECT_EQ(text[4], '-');
  EXPECT_EQ(text[13], ':');
}

TEST(Progress, QuickOrFailedWorkPrintsNoClosingLine) {
  LogCapture log(false);
  FakeClock clock;
  bua::ProgressOptions opt;
  opt.clock = clock.fn();
  opt.plain_interval_s = 10;
  {
    bua::Progress quick("quick", 4, "rows", opt);
    clock.t += 1;
    quick.add(4);
  }
  EXPECT_EQ(log.text(), "");
  try {
    bua::Progress failing("failing", 100, "rows", opt);
    clock.t += 11;
    failing.add(50);  // reported once
    throw std::runtime_error("bad row");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(log.count("failing: "), 1u) << log.text();
  EXPECT_EQ(log.text().find("failing: 50/100 rows in"), std::string::npos);
}
