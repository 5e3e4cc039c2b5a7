// The deterministic mutation runner of the fuzz suite (libFuzzer's contract without clang): a target takes
// the bytes of one input and must either return or throw bua::Error. Anything else — another exception
// type (std::bad_alloc from an unbounded size, std::out_of_range ...), a broken promise the target checks
// (fuzz::Violation: silent garbage), a signal, a sanitizer report — fails the test, and the input is saved
// under build/fuzz_artifacts/<target>/ with its path printed, ready to be copied into the corpus.
//
// Order of a run: every file of tests/fuzz/corpus/<target>/ and every seed the target makes, unmutated (so
// the hostile inputs of the corpus are rechecked on every run), then mutations of those and of the
// mutants the parser accepted, until the iteration count is spent. The suite's run is a count, never a
// clock: the same seed runs the same inputs on every machine, however fast, and prints how many.
//   BUA_FUZZ_ITERATIONS=N   mutations per target (default: the target's own count)
//   BUA_FUZZ_SECONDS=N      a long run instead: each target N seconds, iterations unbounded
//   BUA_FUZZ_SEED=N         another sequence of mutations (default 1)
//   BUA_FUZZ_ARTIFACTS=DIR  where failing inputs are saved
//   BUA_FUZZ_SLOW_SECONDS=N an input the parser takes longer than this on is a finding too (the inputs are
//                           kilobytes; seconds mean a size or count from the file left unbounded). Off in the
//                           suite's short run, whose verdict must not depend on the machine's speed: there the
//                           slowest input is only printed. Long runs (BUA_FUZZ_SECONDS) use 5 s by default.
//   An input that raises the process's peak memory by more than kMaxGrowthMb is a finding in every run (the
//   same unbounded size, told by memory, which unlike time does not depend on the machine's speed).
// A time guard (kGuardSeconds) still ends a short run that a very slow machine would not finish within
// ctest's timeout; when it fires the run says so and how many executions it made, and it is not a finding.
// An input the harness itself cannot lay out as files (a bundle part whose name is too long for the file
// system) is skipped and counted, never a finding: it says nothing about the parser.
#pragma once
#include <fcntl.h>
#include <sys/resource.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "bua/util/error.h"
#include "bua_test_paths.h"
#include "fuzz_mutator.h"

#if defined(__SANITIZE_ADDRESS__)
#define BUA_FUZZ_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BUA_FUZZ_ASAN 1
#endif
#endif
#ifdef BUA_FUZZ_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

namespace bua::fuzz {

namespace fs = std::filesystem;

// Thrown by a target when a parser returned what it must never return (a record whose sizes disagree, a
// NaN threshold, a control character in an XML name): the silent garbage of the issue, a failure like a
// crash.
class Violation : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// A target's short run in the suite: this many mutations after the fixed inputs (targets that cost more per
// input pass a smaller count), with kGuardSeconds as a guard that is reported, never counted as a finding.
constexpr int64_t kDefaultIterations = 3000;
constexpr double kGuardSeconds = 200;  // ctest gives each fuzz test 300 s
constexpr double kLongRunSlowSeconds = 5.0;
constexpr long kMaxGrowthMb = 1024;

inline long peak_rss_mb() {
  struct rusage u {};
  ::getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024;  // KiB on Linux
}

struct Budget {
  int64_t iterations = kDefaultIterations;
  double seconds = kGuardSeconds;  // a guard in the short run; the budget itself in a long run
  bool timed = false;              // a long run (BUA_FUZZ_SECONDS): time, not the count, ends it
  uint64_t seed = 1;
  double slow_seconds = 0;         // 0: slowness is printed, not a finding
};

inline Budget budget_from_env(int64_t iterations = kDefaultIterations) {
  Budget b;
  b.iterations = iterations;
  if (const char* s = std::getenv("BUA_FUZZ_SECONDS"); s && *s) {
    b.seconds = std::max(0.1, std::atof(s));
    b.iterations = INT64_MAX;
    b.timed = true;
    b.slow_seconds = kLongRunSlowSeconds;
  }
  if (const char* s = std::getenv("BUA_FUZZ_ITERATIONS"); s && *s) b.iterations = std::max<int64_t>(0, std::atoll(s));
  if (const char* s = std::getenv("BUA_FUZZ_SEED"); s && *s) b.seed = std::strtoull(s, nullptr, 10);
  if (const char* s = std::getenv("BUA_FUZZ_SLOW_SECONDS"); s && *s) b.slow_seconds = std::atof(s);
  return b;
}

// Thrown by the harness (never by a parser) for an input it cannot lay out as files: the input is skipped.
class SkipInput : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Thrown by the harness when it fails for a reason of its own (the scratch folder cannot be written): the
// test fails as the harness's failure, not as a finding of the parser.
class HarnessError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline fs::path artifact_dir(const std::string& target) {
  const char* env = std::getenv("BUA_FUZZ_ARTIFACTS");
  fs::path dir = env && *env ? fs::path(env) : fs::path(BUA_BIN_DIR).parent_path() / "fuzz_artifacts";
  dir /= target;
  std::error_code ec;
  fs::create_directories(dir, ec);
  return dir;
}

inline fs::path corpus_dir(const std::string& target) {
  return fs::path(BUA_SOURCE_DIR) / "tests" / "fuzz" / "corpus" / target;
}

inline std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw HarnessError("fuzz: cannot read " + path.string());
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline void write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out.flush()) throw HarnessError("fuzz: cannot write " + path.string());
}

inline uint64_t fnv1a(const char* data, size_t size) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < size; ++i) h = (h ^ static_cast<unsigned char>(data[i])) * 0x100000001b3ull;
  return h;
}

// ---- crash capture: the input being run, written out by a signal handler or a sanitizer's death callback
namespace detail {

struct CrashState {
  const char* data = nullptr;
  size_t size = 0;
  char dir[2048] = {0};  // artifact dir of the running target, with a trailing '/'
};
inline CrashState& crash_state() {
  static CrashState s;
  return s;
}

inline void say(const char* text) { (void)!::write(2, text, std::strlen(text)); }

// Async-signal-safe: only write(2), open(2) and arithmetic.
inline void dump_current_input() {
  CrashState& s = crash_state();
  if (!s.data) return;
  char path[2200];
  size_t n = std::strlen(s.dir);
  std::memcpy(path, s.dir, n);
  const char* prefix = "crash-";
  std::memcpy(path + n, prefix, 6);
  n += 6;
  uint64_t h = fnv1a(s.data, s.size);
  for (int i = 15; i >= 0; --i) path[n++] = "0123456789abcdef"[(h >> (4 * i)) & 0xF];
  path[n] = '\0';
  int fd = ::open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    size_t done = 0;
    while (done < s.size) {
      ssize_t w = ::write(fd, s.data + done, s.size - done);
      if (w <= 0) break;
      done += static_cast<size_t>(w);
    }
    ::close(fd);
  }
  say("\nfuzz: the parser crashed on this input; it is saved to ");
  say(path);
  say("\nfuzz: copy it into tests/fuzz/corpus/<target>/ to keep the case (see tests/fuzz/README.md)\n");
  s.data = nullptr;  // once
}

inline void on_fatal_signal(int sig) {
  dump_current_input();
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

inline void install_crash_handlers() {
  static bool installed = false;
  if (installed) return;
  installed = true;
  // Own stack, so a stack overflow (deep recursion in a parser) still reaches the handler.
  static char alt_stack[1 << 16];
  stack_t ss{};
  ss.ss_sp = alt_stack;
  ss.ss_size = sizeof(alt_stack);
  ::sigaltstack(&ss, nullptr);
  struct sigaction sa {};
  sa.sa_handler = on_fatal_signal;
  sa.sa_flags = SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
#ifdef BUA_FUZZ_ASAN
  // AddressSanitizer reports SEGV/BUS/FPE itself, then calls the death callback; aborts are ours.
  __sanitizer_set_death_callback(dump_current_input);
  for (int sig : {SIGABRT}) ::sigaction(sig, &sa, nullptr);
#else
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) ::sigaction(sig, &sa, nullptr);
#endif
}

}  // namespace detail

// ---- inputs made of several files: "#@ name\n" starts each part (VG folders, rescore's two files)
struct Part {
  std::string name, bytes;
};

inline std::string bundle(const std::vector<Part>& parts) {
  std::string out;
  for (const auto& p : parts) out += "#@ " + p.name + "\n" + p.bytes + "\n";
  return out;
}

// The parts of a bundle; text before the first marker is dropped, and a part's final '\n' (added by
// bundle) removed. Names are reduced to a safe file name (mutations may garble them).
inline std::vector<Part> unbundle(const std::string& in) {
  std::vector<Part> parts;
  size_t at = in.rfind("#@ ", 0) == 0 ? 0 : in.find("\n#@ ");
  if (at != std::string::npos && at != 0) ++at;
  while (at != std::string::npos) {
    size_t name_end = in.find('\n', at);
    if (name_end == std::string::npos) break;
    Part p;
    for (char c : in.substr(at + 3, name_end - at - 3))
      if (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-') p.name += c;
    size_t next = in.find("\n#@ ", name_end);
    size_t end = next == std::string::npos ? in.size() : next;
    p.bytes = in.substr(name_end + 1, end > name_end ? end - name_end - 1 : 0);
    if (next == std::string::npos && !p.bytes.empty() && p.bytes.back() == '\n') p.bytes.pop_back();
    if (!p.name.empty() && p.name != "." && p.name != "..") parts.push_back(std::move(p));
    at = next == std::string::npos ? next : next + 1;
  }
  return parts;
}

// ---- zip (.npz, checkpoints): the stored members as the central directory lists them, found from the
// end-of-central-directory record (zip64 included) as miniz and numpy find them. Local headers are not
// trusted for sizes: torch's writer leaves them 0 and puts the sizes in a data descriptor.
struct ZipMember {
  uint64_t central = 0;  // offset of the central directory entry
  uint64_t local = 0;    // offset of the local header
  uint64_t data = 0;     // offset of the stored bytes
  uint64_t size = 0;
  uint32_t crc = 0;      // as the central directory gives it
};

// The stored members; `complete` is false when the directory cannot be walked to its end (a corrupt
// archive the loader has to refuse anyway).
inline std::vector<ZipMember> zip_stored_members(const std::string& z, bool* complete = nullptr) {
  auto u16 = [&](uint64_t i) { return static_cast<uint64_t>(static_cast<uint8_t>(z[i]) | static_cast<uint8_t>(z[i + 1]) << 8); };
  auto u32 = [&](uint64_t i) { return u16(i) | u16(i + 2) << 16; };
  auto u64 = [&](uint64_t i) { return u32(i) | u32(i + 4) << 32; };
  std::vector<ZipMember> out;
  if (complete) *complete = false;
  const size_t eocd = z.rfind("PK\x05\x06");
  if (eocd == std::string::npos || eocd + 22 > z.size()) return out;
  uint64_t entries = u16(eocd + 10), cd = u32(eocd + 16);
  if (eocd >= 20 && z.compare(eocd - 20, 4, "PK\x06\x07") == 0) {  // zip64 locator
    const uint64_t z64 = u64(eocd - 20 + 8);
    if (z64 > z.size() || z.size() - z64 < 56 || z.compare(z64, 4, "PK\x06\x06") != 0) return out;
    entries = u64(z64 + 32), cd = u64(z64 + 48);
  }
  for (uint64_t k = 0; k < entries; ++k) {
    if (cd > z.size() || z.size() - cd < 46 || z.compare(cd, 4, "PK\x01\x02") != 0) return out;
    ZipMember m;
    m.central = cd;
    const uint64_t method = u16(cd + 10);
    m.crc = static_cast<uint32_t>(u32(cd + 16));
    m.size = u32(cd + 20);
    m.local = u32(cd + 42);
    cd += 46 + u16(cd + 28) + u16(cd + 30) + u16(cd + 32);
    if (method != 0 || m.size == 0xFFFFFFFFu || m.local == 0xFFFFFFFFu) continue;  // zip64 sizes: skipped
    if (m.local > z.size() || z.size() - m.local < 30 || z.compare(m.local, 4, "PK\x03\x04") != 0) return out;
    m.data = m.local + 30 + u16(m.local + 26) + u16(m.local + 28);
    if (m.data > z.size() || m.size > z.size() - m.data) return out;
    out.push_back(m);
  }
  if (complete) *complete = true;
  return out;
}

// After a mutation: recompute the crc32 of every stored member (central directory, local header and data
// descriptor), so that half of the mutants of an .npz or a checkpoint get past the CRC check to the
// parsing behind it.
template <typename Crc32>
void fix_zip_crcs(std::string& z, Crc32 crc32) {
  auto put32 = [&](uint64_t i, uint32_t v) {
    if (i + 4 > z.size()) return;
    for (int k = 0; k < 4; ++k) z[i + k] = static_cast<char>((v >> (8 * k)) & 0xFF);
  };
  for (const ZipMember& m : zip_stored_members(z)) {
    const uint32_t crc = crc32(z.data() + m.data, m.size);
    put32(m.central + 16, crc);
    put32(m.local + 14, crc);
    const uint64_t descriptor = m.data + m.size;
    if (descriptor + 8 <= z.size() && z.compare(descriptor, 4, "PK\x07\x08") == 0) put32(descriptor + 4, crc);
  }
}

// ---- the run
struct Target {
  std::string name;
  std::function<void(const std::string& input)> run;  // returns, or throws bua::Error
  std::function<void(std::string& input, Random& rng)> fixup;  // optional, after each mutation
  size_t max_size = 1 << 20;  // mutants are cut to this many bytes
};

struct Finding {
  std::string what;
  std::string saved_to;
};

struct RunStats {
  int64_t executions = 0;  // inputs given to the parser
  int64_t accepted = 0;    // inputs the parser returned on (the rest threw bua::Error)
  int64_t skipped = 0;     // inputs the harness could not lay out (SkipInput), not given to the parser
  bool guard_hit = false;  // the short run's time guard ended it before its count
  double seconds = 0;
  double slowest_seconds = 0;  // the parser's longest time on one input
  std::vector<Finding> findings;
};

// The corpus files of `target` (tests/fuzz/corpus/<target>/), sorted by name for a fixed order.
inline std::vector<std::string> load_corpus(const std::string& target) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(corpus_dir(target), ec))
    if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::vector<std::string> out;
  for (const auto& f : files) out.push_back(read_bytes(f));
  return out;
}

// Runs `target` over its corpus and `seeds`, then `budget.iterations` mutants (or, in a long run, mutants
// until `budget.seconds`). Stops at the third finding. A HarnessError leaves it: the test fails as the
// harness's own failure.
inline RunStats run_fuzz(const Target& target, std::vector<std::string> seeds, const Budget& budget) {
  detail::install_crash_handlers();
  const fs::path artifacts = artifact_dir(target.name);
  {
    std::string dir = artifacts.string() + "/";
    std::snprintf(detail::crash_state().dir, sizeof(detail::crash_state().dir), "%s", dir.c_str());
  }
  std::vector<std::string> inputs = load_corpus(target.name);
  inputs.insert(inputs.end(), seeds.begin(), seeds.end());
  const size_t fixed_inputs = inputs.size();

  RunStats stats;
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };

  auto execute = [&](const std::string& input) -> bool {  // true when the parser accepted it
    detail::crash_state().size = input.size();
    detail::crash_state().data = input.data();
    std::string problem;
    bool accepted = false;
    const auto input_start = std::chrono::steady_clock::now();
    const long rss_before = peak_rss_mb();
    try {
      target.run(input);
      accepted = true;
    } catch (const bua::Error&) {
      // The one acceptable way to refuse an input.
    } catch (const SkipInput&) {
      detail::crash_state().data = nullptr;
      ++stats.skipped;
      return false;
    } catch (const HarnessError&) {
      detail::crash_state().data = nullptr;
      throw;
    } catch (const Violation& v) {
      problem = std::string("silent garbage: ") + v.what();
    } catch (const std::exception& e) {
      problem = std::string("threw a non-bua::Error exception: ") + e.what();
    } catch (...) {
      problem = "threw something that is not a std::exception";
    }
    detail::crash_state().data = nullptr;
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - input_start).count();
    const long grew = peak_rss_mb() - rss_before;
    stats.slowest_seconds = std::max(stats.slowest_seconds, took);
    if (problem.empty() && grew > kMaxGrowthMb)
      problem = "raised the peak memory by " + std::to_string(grew) + " MB on an input of " +
                std::to_string(input.size()) + " bytes (a size or count from the input not bounded before use?)";
    if (problem.empty() && budget.slow_seconds > 0 && took > budget.slow_seconds)
      problem = "took " + std::to_string(took) + " s on an input of " + std::to_string(input.size()) +
                " bytes (a size or count from the input not bounded before use?)";
    ++stats.executions;
    if (accepted) ++stats.accepted;
    if (!problem.empty()) {
      char hash[17];
      std::snprintf(hash, sizeof(hash), "%016llx", static_cast<unsigned long long>(fnv1a(input.data(), input.size())));
      const fs::path saved = artifacts / (std::string("failure-") + hash);
      write_bytes(saved, input);
      stats.findings.push_back({problem, saved.string()});
    }
    return accepted;
  };

  for (const auto& input : inputs) {
    execute(input);
    if (stats.findings.size() >= 3) break;
  }
  Mutator mutator(budget.seed * 0x100000001b3ull + fnv1a(target.name.data(), target.name.size()));
  std::vector<std::string> pool = inputs;  // what mutants are made from: fixed inputs + accepted mutants
  size_t next_slot = 0;
  constexpr size_t kAcceptedKept = 64;
  for (int64_t i = 0; i < budget.iterations && stats.findings.size() < 3 && !pool.empty(); ++i) {
    if (elapsed() > budget.seconds) {
      stats.guard_hit = !budget.timed;
      break;
    }
    std::string input = mutator.mutate(pool[mutator.rng().below(pool.size())], pool, target.max_size);
    if (target.fixup && mutator.rng().chance(2)) target.fixup(input, mutator.rng());
    if (execute(input)) {  // accepted mutants are the way deeper into the format
      if (pool.size() < fixed_inputs + kAcceptedKept) pool.push_back(std::move(input));
      else pool[fixed_inputs + (next_slot++ % kAcceptedKept)] = std::move(input);
    }
  }
  stats.seconds = elapsed();
  return stats;
}

// The message of a failed run: each finding and where its input went.
inline std::string describe(const std::string& target, const RunStats& stats) {
  std::string out = "fuzz target '" + target + "': " + std::to_string(stats.findings.size()) + " finding(s) in " +
                    std::to_string(stats.executions) + " executions\n";
  for (const auto& f : stats.findings)
    out += "  " + f.what + "\n    input saved to " + f.saved_to + "\n    (copy it into tests/fuzz/corpus/" + target +
           "/ to keep the case)\n";
  return out;
}

// The line a run prints: the counts that say what it did (the same on every machine for one seed), then the
// clock's figures, which are information only.
inline std::string summary(const std::string& target, const RunStats& stats) {
  char line[512];
  std::snprintf(line, sizeof(line),
                "fuzz %s: in %lld executions (%lld accepted, %lld inputs skipped by the harness)%s; %.1f s, slowest "
                "input %.3f s",
                target.c_str(), static_cast<long long>(stats.executions), static_cast<long long>(stats.accepted),
                static_cast<long long>(stats.skipped),
                stats.guard_hit ? ", STOPPED EARLY by the time guard (a slow machine: fewer inputs than the count)" : "",
                stats.seconds, stats.slowest_seconds);
  return line;
}

// A scratch folder for the targets that read files, removed at exit.
class Scratch {
 public:
  explicit Scratch(const std::string& target) {
    std::string pattern = (fs::temp_directory_path() / ("bua_fuzz_" + target + "_XXXXXX")).string();
    if (!::mkdtemp(pattern.data())) throw HarnessError("fuzz: cannot make a scratch folder " + pattern);
    path_ = pattern;
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  // Writes `bytes` to the file `name` of the folder and returns its path. A name no file system takes (longer
  // than NAME_MAX, as a mutated bundle part's may be) skips the input; any other failure to write is the
  // harness's (HarnessError).
  std::string put(const std::string& name, const std::string& bytes) const {
    if (name.size() > kMaxFileName) throw SkipInput("a file name of " + std::to_string(name.size()) + " bytes");
    write_bytes(path_ / name, bytes);
    return file(name);
  }
  static constexpr size_t kMaxFileName = 255;  // NAME_MAX of Linux file systems
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

}  // namespace bua::fuzz

// Prints the statistics and fails the test with every finding. A macro so the failure points at the test.
#define BUA_EXPECT_NO_FINDINGS(target_name, stats)                                                               \
  do {                                                                                                          \
    std::printf("%s\n", ::bua::fuzz::summary((target_name), (stats)).c_str());                                  \
    EXPECT_TRUE((stats).findings.empty()) << ::bua::fuzz::describe((target_name), (stats));                    \
  } while (0)
