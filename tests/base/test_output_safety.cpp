// Outputs are never clobbered (issue 14, items 1, 2, 12): read_tsv refuses a device, a foreign file or a
// locked output; a resume with other settings is refused; a full disk gives a clear error and leaves nothing
// that looks complete.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "bua/io/feature_files.h"
#include "bua/io/feature_sink.h"
#include "bua/io/output_guard.h"
#include "bua/io/run_record.h"
#include "bua/io/tsv.h"
#include "bua/util/atomic_file.h"
#include "bua_test_paths.h"
#include "test_support.h"

namespace fs = std::filesystem;
using bua::testing::CommandResult;
using bua::testing::error_of;
using bua::testing::shell_quote;
using bua::testing::TempDir;

namespace {

const std::string kOriginal = std::string(BUA_TEST_DATA) + "/tsv/original.tsv";

CommandResult read_tsv(const std::string& args) {
  return bua::testing::run_command(shell_quote(std::string(BUA_BIN_DIR) + "/read_tsv") + " -q " + args);
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

bua::FeatureRecord some_record() {
  bua::TsvReader reader(kOriginal);
  bua::FeatureRecord r;
  EXPECT_TRUE(reader.next(r));
  return r;
}

// A 64 KiB tmpfs: a disk that fills after the first record. Needs the right to mount (root in a container
// that allows it); the tests that use it are skipped otherwise.
class TinyDisk {
 public:
  TinyDisk() {
    fs::create_directories(dir_.path() / "disk");
    mounted_ = ::mount("tmpfs", path().c_str(), "tmpfs", 0, "size=64k") == 0;
  }
  ~TinyDisk() {
    if (mounted_) ::umount2(path().c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  std::string path() const { return (dir_.path() / "disk").string(); }
  std::string file(const std::string& name) const { return path() + "/" + name; }

 private:
  TempDir dir_;
  bool mounted_ = false;
};

// Item 1: `--out /dev/null` must not replace the device node with a regular file.
TEST(OutputSafety, ConversionRefusesADevice) {
  struct stat before;
  ASSERT_EQ(::stat("/dev/null", &before), 0);
  ASSERT_TRUE(S_ISCHR(before.st_mode));
  const auto r = read_tsv(shell_quote(kOriginal) + " --convert-to tsv --out /dev/null");
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("/dev/null: is a character device"), std::string::npos) << r.output;
  struct stat after;
  ASSERT_EQ(::stat("/dev/null", &after), 0);
  EXPECT_TRUE(S_ISCHR(after.st_mode));
  EXPECT_EQ(before.st_ino, after.st_ino);
}

// Item 1: a file that is not a feature output of this kind is left alone, whatever the format.
TEST(OutputSafety, ConversionRefusesAForeignFile) {
  TempDir tmp;
  const auto notes = tmp.file("notes.txt");
  std::ofstream(notes) << "my notes, not features\n";
  for (const char* format : {"tsv", "lxmert", "npz", "hdf5-adaptive"}) {
    SCOPED_TRACE(format);
    const auto r = read_tsv(shell_quote(kOriginal) + " --convert-to " + format + " --out " + shell_quote(notes));
    EXPECT_NE(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find(notes), std::string::npos) << r.output;
    EXPECT_EQ(slurp(notes), "my notes, not features\n");
  }
  // A folder holding other things is not written into either.
  fs::create_directories(tmp.path() / "photos");
  std::ofstream(tmp.file("photos/cat.jpg")) << "jpeg";
  const auto r = read_tsv(shell_quote(kOriginal) + " --convert-to npz --out " + shell_quote(tmp.file("photos")));
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_EQ(fs::directory_iterator(tmp.path() / "photos")->path().filename(), "cat.jpg");
  EXPECT_EQ(std::distance(fs::directory_iterator(tmp.path() / "photos"), fs::directory_iterator()), 1);
  // A symbolic link at a file output would be renamed itself: refused.
  fs::create_symlink(notes, tmp.file("link.tsv"));
  const auto l = read_tsv(shell_quote(kOriginal) + " --convert-to tsv --out " + shell_quote(tmp.file("link.tsv")));
  EXPECT_NE(l.exit_code, 0) << l.output;
  EXPECT_NE(l.output.find("symbolic link"), std::string::npos) << l.output;
  EXPECT_TRUE(fs::is_symlink(tmp.file("link.tsv")));
}

// Item 1: an earlier output of the same kind is still replaced by a conversion, as before.
TEST(OutputSafety, ConversionReplacesItsOwnKindOfOutput) {
  TempDir tmp;
  const auto out = tmp.file("out.tsv");
  ASSERT_EQ(read_tsv(shell_quote(kOriginal) + " --convert-to tsv --out " + shell_quote(out)).exit_code, 0);
  const auto again = read_tsv(shell_quote(kOriginal) + " --convert-to tsv --out " + shell_quote(out));
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(slurp(out), slurp(kOriginal));
}

// Item 1: two runs on one output cannot interleave; the lock goes with the run.
TEST(OutputSafety, SecondRunOnALockedOutputIsRefused) {
  TempDir tmp;
  const auto out = tmp.file("out.tsv");
  {
    bua::OutputLock lock(out);
    EXPECT_NE(error_of([&] { bua::OutputLock second(out); }).find("is being written by another run"), std::string::npos);
    const auto r = read_tsv(shell_quote(kOriginal) + " --convert-to tsv --out " + shell_quote(out));
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.output.find("is being written by another run (pid " + std::to_string(::getpid()) + ")"),
              std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(out));
  }
  EXPECT_EQ(error_of([&] { bua::OutputLock again(out); }), "");
  EXPECT_FALSE(fs::exists(bua::hidden_sibling(out, "bua-lock")));
}

// Item 2: a resumed output records its settings; another --format or option is refused by name.
TEST(OutputSafety, ResumeWithOtherSettingsIsRefused) {
  TempDir tmp;
  const auto out = tmp.file("feats");
  bua::FeatureSinkOptions o;
  o.run_options = {{"--min-boxes", "10"}, {"--net", "100 bytes, crc32 00000001"}};
  {
    auto sink = bua::open_feature_sink(bua::FeatureFormat::kNpzDir, out, o);
    sink->write(some_record());  // interrupted: no finish()
  }
  auto record = bua::read_run_record(out);
  ASSERT_TRUE(record);
  EXPECT_FALSE(record->complete);
  EXPECT_EQ(bua::option_value(record->options, "--format"), "npz");
  // The folder is not taken for a complete output.
  EXPECT_NE(error_of([&] { bua::validate_features(out, false); }).find("is an unfinished output"), std::string::npos);

  auto other = o;
  other.run_options[0].second = "36";
  EXPECT_NE(error_of([&] { bua::open_feature_sink(bua::FeatureFormat::kNpzDir, out, other); })
                .find("was written with --min-boxes 10, this run has --min-boxes 36"),
            std::string::npos);
  other = o;
  other.run_options[1].second = "200 bytes, crc32 00000002";
  EXPECT_NE(error_of([&] { bua::open_feature_sink(bua::FeatureFormat::kNpzDir, out, other); }).find("--net"),
            std::string::npos);
  // Same settings: resumes and finishes; the record then says so.
  {
    auto sink = bua::open_feature_sink(bua::FeatureFormat::kNpzDir, out, o);
    EXPECT_EQ(sink->done_ids().size(), 1u);
    sink->finish();
  }
  EXPECT_TRUE(bua::read_run_record(out)->complete);
  EXPECT_EQ(bua::validate_features(out, false).rows, 1);

  // Another format on a TSV output.
  const auto tsv = tmp.file("f.tsv");
  {
    auto sink = bua::open_feature_sink(bua::FeatureFormat::kTsvOriginal, tsv, o);
    sink->write(some_record());
  }
  EXPECT_NE(error_of([&] { bua::open_feature_sink(bua::FeatureFormat::kTsvLxmert, tsv, o); })
                .find("was written with --format tsv, this run has --format lxmert"),
            std::string::npos);
}

// Item 1: the output may not be one of the run's inputs.
TEST(OutputSafety, OutputThatIsAnInputIsRefused) {
  TempDir tmp;
  const auto list = tmp.file("list.txt");
  std::ofstream(list) << "a.jpg\n";
  bua::FeatureSinkOptions o;
  o.inputs = {{"--image-list", list}};
  EXPECT_NE(error_of([&] { bua::open_feature_sink(bua::FeatureFormat::kTsvOriginal, list, o); })
                .find("is the --image-list input of this run"),
            std::string::npos);
  EXPECT_EQ(slurp(list), "a.jpg\n");
  EXPECT_FALSE(fs::exists(list + ".partial"));
}

// Item 12: a full disk while converting to TSV: non-zero, the path and "no space left", no output.
TEST(OutputSafety, DiskFullTsvConversion) {
  TinyDisk disk;
  if (!disk.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here";
  const auto out = disk.file("out.tsv");
  const auto r = read_tsv(shell_quote(kOriginal) + " --convert-to tsv --out " + shell_quote(out));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find(out), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("no space left on the device"), std::string::npos) << r.output;
  EXPECT_TRUE(fs::is_empty(disk.path())) << fs::directory_iterator(disk.path())->path();
}

// Item 12: an interrupted (here: disk full) conversion to npz leaves no folder that validates as complete.
TEST(OutputSafety, DiskFullNpzConversionLeavesNoFolder) {
  TinyDisk disk;
  if (!disk.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here";
  const auto out = disk.file("npz");
  const auto r = read_tsv(shell_quote(kOriginal) + " --convert-to npz --out " + shell_quote(out));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find(out), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("no space left on the device"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(out));
  EXPECT_FALSE(fs::exists(out + ".partial"));
}

// Item 12: the resumable TSV sink names the path and the full disk, and leaves whole rows only.
TEST(OutputSafety, DiskFullTsvSink) {
  TinyDisk disk;
  if (!disk.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here";
  const auto out = disk.file("run.tsv");
  auto sink = bua::open_feature_sink(bua::FeatureFormat::kTsvOriginal, out, {});
  const auto r = some_record();
  std::string error;
  try {
    for (int i = 0; i < 100; ++i) {
      auto copy = r;
      copy.image_id = std::to_string(i);
      sink->write(copy);
    }
  } catch (const bua::OutputError& e) {
    error = e.what();
  }
  EXPECT_NE(error.find(out + ".partial: writing image"), std::string::npos) << error;
  EXPECT_NE(error.find("no space left on the device"), std::string::npos) << error;
  const std::string text = slurp(out + ".partial");
  EXPECT_TRUE(text.empty() || text.back() == '\n');
}

}  // namespace
