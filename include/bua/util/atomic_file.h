// Files written whole: an output appears under its final name only once it is complete. Bytes go to
// `<path>.tmp.<pid>` and are renamed over `path` on commit, so a crash or an error never leaves a
// truncated file where a reader (or a resumed run) would take it for a finished one.
#pragma once
#include <fstream>
#include <string>
#include <string_view>

#include "bua/util/error.h"

namespace bua {

// A failure to write an output (disk full, I/O error): the run cannot go on, unlike a bad input record,
// which a feature run skips. Callers that skip bad records rethrow this one.
class OutputError : public Error {
 public:
  using Error::Error;
};

// errno as an output writer reports it; ENOSPC reads "no space left on the device".
std::string io_error_text(int err);
// Throws OutputError "<path>: <action> failed: <io_error_text(err)>".
[[noreturn]] void fail_output(const std::string& path, const std::string& action, int err);

class AtomicFile {
 public:
  // Creates the temp file (binary, truncated). `sync_on_commit` fsyncs it before the rename, for outputs
  // that must survive a power cut, not only a crash. Throws bua::Error when it cannot be created.
  explicit AtomicFile(std::string path, bool sync_on_commit = false);
  ~AtomicFile();  // an uncommitted file's temp is removed
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  std::ostream& stream() { return out_; }
  void write(std::string_view bytes);
  void write(const void* data, size_t size);

  // Flushes, checks every write succeeded, optionally fsyncs, closes and renames over the final path.
  void commit();
  // Closes and removes the temp; the final path is left as it was.
  void discard();

  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_; }
  bool committed() const { return committed_; }

 private:
  std::string path_;
  std::string temp_;
  std::ofstream out_;
  bool sync_ = false;
  bool committed_ = false;
  bool open_ = false;
};

// Writes `bytes` to `path` through a temp file.
void write_file_atomic(const std::string& path, std::string_view bytes, bool sync = false);

// Reads a whole file; throws bua::Error naming the file when it cannot.
std::string read_file(const std::string& path);

}  // namespace bua
