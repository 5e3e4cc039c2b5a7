// Helpers shared by the tests: a scratch directory, running a command (our tools, python3 + numpy to
// check our files the way downstream users read them), and the message of the bua::Error a call throws.
#pragma once
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "bua/util/error.h"

namespace bua::testing {

// A suite run inside a torchrun or Slurm job must not make the tools it starts join that job: train_net would
// wait for ranks that never come, generate_tsv --shard auto would take a shard. The launcher's variables are
// removed once, before any test runs; a test that wants them sets them in its own command.
inline const bool kLauncherEnvironmentCleared = [] {
  for (const char* name : {"WORLD_SIZE", "RANK", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT",
                           "SLURM_PROCID", "SLURM_NTASKS", "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_MIN",
                           "SLURM_ARRAY_TASK_COUNT"})
    ::unsetenv(name);
  return true;
}();

// The message of the bua::Error that f() throws; "" when it throws none.
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const bua::Error& e) {
    return e.what();
  }
  return "";
}

// A fresh directory under the system temp dir, removed with everything in it at scope exit.
// A new folder under $TMPDIR named prefix_XXXXXX (mkdtemp): never one another run or user left there.
inline std::filesystem::path new_temp_dir(const std::string& prefix) {
  std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "_XXXXXX")).string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed for " + pattern);
  return pattern;
}

class TempDir {
 public:
  TempDir() : path_(new_temp_dir("bua_io_test")) {}
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

inline CommandResult run_command(const std::string& command) {
  CommandResult r;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) r.output.append(buf.data(), n);
  int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// The first python3 that imports numpy (the system one comes first: a pyenv shim may lack numpy);
// empty when there is none.
inline std::string python_with_numpy() {
  for (const char* candidate : {"/usr/bin/python3", "python3"}) {
    if (run_command(std::string(candidate) + " -c 'import numpy'").exit_code == 0) return candidate;
  }
  return "";
}

// Writes `script` to dir/name and runs it with `python` and the given (already quoted) arguments.
inline CommandResult run_python(const std::string& python, const TempDir& dir, const std::string& script,
                                const std::string& args = "") {
  std::string path = dir.file("check.py");
  std::ofstream(path) << script;
  return run_command(python + " " + shell_quote(path) + " " + args);
}

}  // namespace bua::testing
