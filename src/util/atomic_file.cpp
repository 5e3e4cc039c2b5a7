#include "bua/util/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "bua/util/error.h"

namespace bua {
namespace {

std::string errno_text() { return io_error_text(errno); }

// fsync through a second descriptor: std::ofstream does not expose its own.
void sync_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) fail(path, "cannot open to sync: " + errno_text());
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) fail_output(path, "fsync", err);
}

}  // namespace

std::string io_error_text(int err) {
  if (err == ENOSPC) return "no space left on the device";
  if (err == EDQUOT) return "disk quota exceeded";
  return std::strerror(err);
}

void fail_output(const std::string& path, const std::string& action, int err) {
  throw OutputError(path + ": " + action + " failed: " + io_error_text(err));
}

AtomicFile::AtomicFile(std::string path, bool sync_on_commit)
    : path_(std::move(path)), temp_(path_ + ".tmp." + std::to_string(::getpid())), sync_(sync_on_commit) {
  out_.open(temp_, std::ios::binary | std::ios::trunc);
  if (!out_) fail_output(temp_, "creating the temp file for " + path_, errno);
  open_ = true;
}

AtomicFile::~AtomicFile() {
  if (open_ && !committed_) {
    out_.close();
    std::remove(temp_.c_str());
  }
}

void AtomicFile::write(std::string_view bytes) { write(bytes.data(), bytes.size()); }

void AtomicFile::write(const void* data, size_t size) {
  if (!open_) fail(path_, "write after the file was committed or discarded");
  out_.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
  if (!out_) fail_output(temp_, "writing " + path_, errno);
}

void AtomicFile::commit() {
  if (!open_) fail(path_, committed_ ? "committed twice" : "commit after discard");
  out_.flush();
  bool ok = static_cast<bool>(out_);
  int err = errno;
  out_.close();
  if (ok && out_.fail()) ok = false, err = errno;
  if (!ok) {
    std::remove(temp_.c_str());
    open_ = false;
    fail_output(temp_, "writing " + path_, err);
  }
  if (sync_) {
    try {
      sync_file(temp_);
    } catch (const Error&) {
      std::remove(temp_.c_str());
      open_ = false;
      throw;
    }
  }
  if (std::rename(temp_.c_str(), path_.c_str()) != 0) {
    std::string why = errno_text();
    std::remove(temp_.c_str());
    open_ = false;
    fail(path_, "cannot rename " + temp_ + " into place: " + why);
  }
  open_ = false;
  committed_ = true;
}

void AtomicFile::discard() {
  if (!open_) return;
  out_.close();
  std::remove(temp_.c_str());
  open_ = false;
}

void write_file_atomic(const std::string& path, std::string_view bytes, bool sync) {
  AtomicFile file(path, sync);
  file.write(bytes);
  file.commit();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open: " + errno_text());
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  if (size < 0) fail(path, "cannot determine the size (not a regular file?)");
  in.seekg(0, std::ios::beg);
  std::string bytes(static_cast<size_t>(size), '\0');
  if (!in.read(bytes.data(), size)) fail(path, "read failed: " + errno_text());
  return bytes;
}

}  // namespace bua
