#include "bua/io/output_guard.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "bua/io/captioning_features.h"
#include "bua/io/hdf5_features.h"
#include "bua/io/pickle.h"
#include "bua/util/error.h"

namespace fs = std::filesystem;

namespace bua {
namespace {

std::string strip_slashes(std::string p) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

// What lies at `path`, without following a final symbolic link: "" when nothing does.
std::string kind_of(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return "";
  if (S_ISREG(st.st_mode)) return "file";
  if (S_ISDIR(st.st_mode)) return "folder";
  if (S_ISLNK(st.st_mode)) {
    struct stat target;
    if (::stat(path.c_str(), &target) != 0) return "broken or looping symbolic link";
    return S_ISDIR(target.st_mode) ? "link to folder" : "symbolic link";
  }
  if (S_ISFIFO(st.st_mode)) return "FIFO";
  if (S_ISCHR(st.st_mode)) return "character device";
  if (S_ISBLK(st.st_mode)) return "block device";
  if (S_ISSOCK(st.st_mode)) return "socket";
  return "special file";
}

bool same_file(const std::string& a, const std::string& b) {
  struct stat sa, sb;
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

void refuse_inputs(const std::string& path, const NamedValues& inputs) {
  for (const auto& [flag, input] : inputs)
    if (!input.empty() && same_file(path, input))
      fail(path, "is the " + flag + " input of this run; write the output somewhere else");
}

// A file output (or its .partial): absent, or a regular file that is ours.
void check_file(const std::string& path, FeatureFormat format, bool owned, const NamedValues& inputs) {
  refuse_inputs(path, inputs);
  const std::string kind = kind_of(path);
  if (kind.empty()) return;
  if (kind != "file")
    fail(path, "is a " + kind + ", not a regular file; the output must be a new path or an output of an earlier run");
  if (owned) return;
  const bool hdf5 = format == FeatureFormat::kHdf5Fixed || format == FeatureFormat::kHdf5Adaptive;
  const bool ours = hdf5 ? (looks_like_hdf5(path) || fs::file_size(path) == 0) : looks_like_feature_tsv(path);
  if (!ours)
    fail(path, std::string("exists and is not a ") + feature_format_name(format) +
                   " feature output; refusing to overwrite it (choose another output path)");
}

// The id map finished HDF5 outputs get (`<name>_imgid2idx.pkl`): ours where the HDF5 output beside it is
// (checked by check_file) or the run record says so; a map beside no output of ours may be another tool's.
void check_id_map(const std::string& out, bool owned, const NamedValues& inputs) {
  const std::string pkl = imgid2idx_path(out);
  refuse_inputs(pkl, inputs);
  const std::string kind = kind_of(pkl);
  if (kind.empty()) return;
  if (kind != "file") fail(pkl, "is a " + kind + ", not a regular file; the HDF5 output's id map goes there");
  std::error_code ec;
  if (!owned && !fs::exists(out, ec) && !fs::exists(out + ".partial", ec))
    fail(pkl, "exists beside no HDF5 output of ours; refusing to overwrite it (choose another output path)");
}

// A folder of per-image files of `extension` (and our temp files): anything else means it is not ours.
void check_folder(const std::string& dir, const std::string& extension, bool must_be_empty, const NamedValues& inputs) {
  refuse_inputs(dir, inputs);
  const std::string kind = kind_of(dir);
  if (kind.empty()) return;
  if (kind != "folder" && kind != "link to folder")
    fail(dir, "is a " + kind + ", not a folder; the output must be a new path or a folder of an earlier run");
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    if (must_be_empty)
      fail(dir, "exists and is not empty; a conversion writes a new folder (remove it or choose another --out)");
    const std::string name = it->path().filename().string();
    const bool temp = name.find(extension + ".tmp.") != std::string::npos;
    std::error_code ec2;
    const bool regular = it->symlink_status(ec2).type() == fs::file_type::regular;
    if (!regular || (!temp && it->path().extension() != extension))
      fail(dir, "holds " + name + ", which is not a " + extension +
                    " file of a feature output; refusing to write into it (choose another output folder)");
  }
  if (ec) fail(dir, "cannot list the folder: " + ec.message());
}

}  // namespace

std::string hidden_sibling(const std::string& output, const std::string& suffix) {
  const fs::path p(strip_slashes(output));
  return (p.parent_path() / ("." + p.filename().string() + "." + suffix)).string();
}

bool looks_like_feature_tsv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::string head(64 * 1024, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  if (head.empty()) return true;
  if (head.find('\0') != std::string::npos) return false;
  head = head.substr(0, head.find('\n'));
  // Both layouts start "<id>\t<int>\t<int>\t" (image_w, image_h or img_h, img_w), and a row has more fields.
  std::vector<std::string> fields;
  size_t start = 0;
  for (int i = 0; i < 4; ++i) {
    const size_t tab = head.find('\t', start);
    if (tab == std::string::npos) return false;
    fields.push_back(head.substr(start, tab - start));
    start = tab + 1;
  }
  auto digits = [](const std::string& s) {
    return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
  };
  return !fields[0].empty() && digits(fields[1]) && digits(fields[2]);
}

void check_output_target(FeatureFormat format, const std::string& output, bool resume, bool owned,
                         const NamedValues& inputs) {
  const std::string out = strip_slashes(output);
  switch (format) {
    case FeatureFormat::kTsvOriginal:
    case FeatureFormat::kTsvLxmert:
      check_file(out, format, owned, inputs);
      check_file(out + ".partial", format, owned, inputs);
      return;
    case FeatureFormat::kHdf5Fixed:
    case FeatureFormat::kHdf5Adaptive:
      check_file(out, format, owned, inputs);
      check_file(out + ".partial", format, owned, inputs);
      check_id_map(out, owned, inputs);
      return;
    case FeatureFormat::kNpzDir:
      check_folder(out, ".npz", !resume, inputs);
      if (!resume) check_folder(out + ".partial", ".npz", true, inputs);
      return;
    case FeatureFormat::kCaptioning: {
      const auto dirs = captioning_dirs(out);
      for (const auto& [dir, ext] : {std::pair{dirs.att, ".npz"}, {dirs.fc, ".npy"}, {dirs.box, ".npy"}})
        check_folder(dir, ext, !resume, inputs);
      if (!resume) {
        const auto staged = captioning_dirs(out + ".partial");
        for (const auto& dir : {staged.att, staged.fc, staged.box}) check_folder(dir, "", true, inputs);
      }
      return;
    }
  }
}

// ---- lock ----

OutputLock::OutputLock(const std::string& output) : path_(hidden_sibling(output, "bua-lock")) {
  const std::string out = strip_slashes(output);
  for (int attempt = 0; attempt < 10; ++attempt) {
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) fail(out, "cannot create the lock file " + path_ + ": " + std::strerror(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      char pid[32] = {};
      const ssize_t n = ::pread(fd_, pid, sizeof(pid) - 1, 0);
      ::close(fd_);
      fd_ = -1;
      if (err == EWOULDBLOCK)
        fail(out, "is being written by another run" + (n > 0 ? " (pid " + std::string(pid, static_cast<size_t>(n)) + ")" : "") +
                      "; wait for it to finish or choose another output");
      fail(out, "cannot lock " + path_ + ": " + std::strerror(err));
    }
    // The holder before us may have removed the file between our open and our lock: lock the file that is
    // there now, or two runs would each hold a lock on a different file.
    struct stat mine, there;
    if (::fstat(fd_, &mine) == 0 && ::stat(path_.c_str(), &there) == 0 && mine.st_ino == there.st_ino &&
        mine.st_dev == there.st_dev) {
      const std::string pid = std::to_string(::getpid());
      if (::ftruncate(fd_, 0) == 0) (void)!::pwrite(fd_, pid.data(), pid.size(), 0);
      return;
    }
    ::close(fd_);
    fd_ = -1;
  }
  fail(out, "cannot take the lock " + path_ + " (it keeps being replaced)");
}

OutputLock::~OutputLock() {
  if (fd_ < 0) return;
  ::unlink(path_.c_str());
  ::close(fd_);
}

}  // namespace bua
