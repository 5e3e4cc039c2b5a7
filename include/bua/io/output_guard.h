// What a feature run may do to the path it writes: never rename, truncate or fill anything it did not
// create. Before a sink touches its output, the path is locked against a second run, checked to be no input
// of the run, of the right kind (a regular file, or a folder) and, when it exists, an output of ours in the
// same format (its run record says so, or its first bytes look like one); anything else is refused.
#pragma once
#include <string>
#include "bua/io/feature_sink.h"

namespace bua {

// An exclusive lock on an output, held while it lives: a hidden `.<name>.bua-lock` beside the output
// (flock, so a killed run leaves no stale lock). A second run on the same output is refused at once.
class OutputLock {
 public:
  explicit OutputLock(const std::string& output);
  ~OutputLock();  // removes the lock file, then releases it
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;

 private:
  std::string path_;
  int fd_ = -1;
};

// `.<name>.<suffix>` beside `output` (a trailing '/' of a folder is ignored): the lock and run record live
// there, out of the way of `read_tsv --merge out out.*` globs and of the folder formats' contents.
std::string hidden_sibling(const std::string& output, const std::string& suffix);

// Throws bua::Error naming the path when `output` (or its .partial, or a captioning folder) is one of
// `inputs`, is not of the kind `format` writes, or exists without being an output of ours in `format`.
// `owned`: a run record of ours in this format lies beside it, so only the kinds of file are checked.
// `resume`: generate_tsv continues the output; otherwise (conversions) a folder output must not exist yet
// or be empty, as it is written under a temporary name and renamed into place when complete.
void check_output_target(FeatureFormat format, const std::string& output, bool resume, bool owned,
                         const NamedValues& inputs);

// The first bytes of `path` look like a feature TSV of ours (either layout), or it is empty.
bool looks_like_feature_tsv(const std::string& path);

}  // namespace bua
