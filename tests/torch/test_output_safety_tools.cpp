// generate_tsv and import_caffemodel never clobber, mix or fake an output (issue 14, items 1, 2, 6, 12, 13,
// 16): run as a user would, on the reduced reference net.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "bua/io/tsv.h"
#include "bua_test_paths.h"
#include "test_support.h"

namespace fs = std::filesystem;
using bua::testing::run_command;
using bua::testing::shell_quote;

namespace {

const std::string kCaffe = std::string(BUA_TEST_DATA) + "/caffe";

std::string bin(const std::string& tool) { return std::string(BUA_BIN_DIR) + "/" + tool; }

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string import_command(const std::string& out) {
  return bin("import_caffemodel") + " --caffemodel " + kCaffe + "/weights.caffemodel --arch " + BUA_SOURCE_DIR +
         "/configs/reduced_caffe_ref.yml --objects-vocab " + kCaffe + "/objects_vocab.txt --attributes-vocab " +
         kCaffe + "/attributes_vocab.txt --out " + shell_quote(out);
}

size_t rows_of(const std::string& path) {
  bua::TsvReader reader(path);
  bua::FeatureRecord r;
  size_t n = 0;
  while (reader.next(r)) ++n;
  return n;
}

class OutputSafetyTools : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new bua::testing::TempDir;
    ckpt_ = dir_->file("reduced.pt");
    const auto r = run_command(import_command(ckpt_));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    fs::create_directories(dir_->path() / "images");
    fs::copy_file(kCaffe + "/messi5.jpg", dir_->path() / "images" / "messi5.jpg");
  }
  static void TearDownTestSuite() { delete dir_; }

  // A small, fast run (TEST.SCALES [200]); `timeout` so that a hang fails the test instead of blocking it.
  static bua::testing::CommandResult generate(const std::string& args) {
    return run_command("timeout 300 " + bin("generate_tsv") + " --net " + ckpt_ +
                       " --set TEST.SCALES [200] TEST.MAX_SIZE 400 " + args);
  }
  static std::string images() { return (dir_->path() / "images").string(); }

  static bua::testing::TempDir* dir_;
  static std::string ckpt_;
};
bua::testing::TempDir* OutputSafetyTools::dir_ = nullptr;
std::string OutputSafetyTools::ckpt_;

// Item 1: the checkpoint (an input), a text file, a folder or a FIFO at --out are refused and left as they were.
TEST_F(OutputSafetyTools, RefusesAnOutputItMustNotTouch) {
  const std::string ckpt_bytes = slurp(ckpt_);
  auto r = generate("--images " + images() + " --out " + ckpt_);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("is the --net input of this run"), std::string::npos) << r.output;
  EXPECT_EQ(slurp(ckpt_), ckpt_bytes);
  EXPECT_FALSE(fs::exists(ckpt_ + ".partial"));

  const auto text = dir_->file("readme.txt");
  std::ofstream(text) << "keep me\n";
  r = generate("--images " + images() + " --out " + text);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("is not a tsv feature output"), std::string::npos) << r.output;
  EXPECT_EQ(slurp(text), "keep me\n");

  const auto folder = dir_->file("a_folder");
  fs::create_directories(folder);
  r = generate("--images " + images() + " --out " + folder);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("is a folder, not a regular file"), std::string::npos) << r.output;
  EXPECT_TRUE(fs::is_directory(folder));

  const auto fifo = dir_->file("pipe");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  r = generate("--images " + images() + " --out " + fifo);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("is a FIFO"), std::string::npos) << r.output;
  EXPECT_TRUE(fs::is_fifo(fifo));
}

// Item 2: resuming with another --format or --min-boxes is refused, naming the option; the same settings resume.
TEST_F(OutputSafetyTools, ResumeMustRepeatTheSettings) {
  const auto out = dir_->file("resume.tsv");
  auto r = generate("--images " + images() + " --out " + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string before = slurp(out);
  r = generate("--images " + images() + " --out " + out + " --format lxmert");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("was written with --format tsv, this run has --format lxmert"), std::string::npos) << r.output;
  r = generate("--images " + images() + " --out " + out + " --min-boxes 36 --max-boxes 36");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("was written with --min-boxes 10, this run has --min-boxes 36"), std::string::npos) << r.output;
  EXPECT_EQ(slurp(out), before);
  r = generate("--images " + images() + " --out " + out);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("0 written, 1 already there"), std::string::npos) << r.output;
}

// Item 6: 7.jpg, 007.jpg, 7.png and sub/7.jpg share the id 7: one row, the others listed with the reason.
TEST_F(OutputSafetyTools, RepeatedImageIdsAreListedNotWritten) {
  const auto imgs = dir_->path() / "sevens";
  fs::create_directories(imgs / "sub");
  for (const char* name : {"7.jpg", "007.jpg", "sub/7.jpg"}) fs::copy_file(kCaffe + "/messi5.jpg", imgs / name);
  const auto out = dir_->file("sevens.tsv");
  auto r = generate("--images " + imgs.string() + " --out " + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(rows_of(out), 1u);
  const std::string failures = slurp(out + ".failures.txt");
  EXPECT_NE(failures.find("7.jpg\timage id 7 repeats that of " + (imgs / "007.jpg").string()), std::string::npos)
      << failures;
  EXPECT_NE(failures.find("sub/7.jpg"), std::string::npos) << failures;
  // A list naming one image twice.
  const auto list = dir_->file("twice.txt");
  std::ofstream(list) << (imgs / "007.jpg").string() << "\n" << (imgs / "007.jpg").string() << "\n";
  const auto out2 = dir_->file("twice.tsv");
  r = generate("--image-list " + list + " --out " + out2);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(rows_of(out2), 1u);
  EXPECT_NE(slurp(out2 + ".failures.txt").find("listed again (image id 7)"), std::string::npos);
}

// Item 13: every image failing is an error, and no empty output appears under the final name.
TEST_F(OutputSafetyTools, EveryImageFailingIsAnError) {
  const auto imgs = dir_->path() / "broken";
  fs::create_directories(imgs);
  std::ofstream(imgs / "a.jpg") << "not a jpeg";
  std::ofstream(imgs / "b.jpg") << "nor this";
  const auto out = dir_->file("broken.tsv");
  auto r = generate("--images " + imgs.string() + " --out " + out);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("no image was written: all 2 failed"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(out));
  EXPECT_TRUE(fs::exists(out + ".failures.txt"));
  // Nothing to extract at all is an error too.
  fs::create_directories(dir_->path() / "empty");
  r = generate("--images " + (dir_->path() / "empty").string() + " --out " + dir_->file("empty.tsv"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("no images found"), std::string::npos) << r.output;
}

// Item 16: a FIFO, /dev/zero, a symlink loop and a folder in --image-list are skipped and listed; the run goes on.
TEST_F(OutputSafetyTools, OnlyRegularFilesAreRead) {
  const auto odd = dir_->path() / "odd";
  fs::create_directories(odd / "folder.jpg");
  ASSERT_EQ(::mkfifo((odd / "fifo.jpg").c_str(), 0644), 0);
  fs::create_symlink(odd / "loop_b.jpg", odd / "loop_a.jpg");
  fs::create_symlink(odd / "loop_a.jpg", odd / "loop_b.jpg");
  const auto list = dir_->file("odd.txt");
  std::ofstream(list) << (odd / "fifo.jpg").string() << " 1\n/dev/zero 2\n"
                      << (odd / "loop_a.jpg").string() << " 3\n"
                      << (odd / "folder.jpg").string() << " 4\n"
                      << images() << "/messi5.jpg 5\n";
  const auto out = dir_->file("odd.tsv");
  const auto r = generate("--image-list " + list + " --out " + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(rows_of(out), 1u);
  const std::string failures = slurp(out + ".failures.txt");
  EXPECT_NE(failures.find("1\t" + (odd / "fifo.jpg").string() + "\t"), std::string::npos) << failures;
  EXPECT_NE(failures.find("is a FIFO"), std::string::npos) << failures;
  EXPECT_NE(failures.find("2\t/dev/zero\t"), std::string::npos) << failures;
  EXPECT_NE(failures.find("3\t" + (odd / "loop_a.jpg").string()), std::string::npos) << failures;
  EXPECT_NE(failures.find("4\t" + (odd / "folder.jpg").string()), std::string::npos) << failures;
}

// A 64 KiB tmpfs; the disk-full tests are skipped where mounting is not allowed.
class TinyDisk {
 public:
  TinyDisk() : path_(dir_.file("disk")) {
    fs::create_directories(path_);
    mounted_ = ::mount("tmpfs", path_.c_str(), "tmpfs", 0, "size=64k") == 0;
  }
  ~TinyDisk() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  bua::testing::TempDir dir_;
  std::string path_;
  bool mounted_ = false;
};

// Item 12: a full disk is an error naming the path and "no space left", for every writer, and leaves
// nothing that looks complete.
TEST_F(OutputSafetyTools, DiskFullIsAnErrorForEveryWriter) {
  for (const char* format : {"npz", "tsv", "captioning"}) {
    SCOPED_TRACE(format);
    TinyDisk disk;
    if (!disk.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here";
    const auto out = disk.file(std::string("out_") + format);
    // Enough images that the 64 KiB fill up whatever the box count.
    const auto list = dir_->file("many.txt");
    {
      std::ofstream l(list);
      for (int i = 0; i < 4; ++i) l << images() << "/messi5.jpg " << i << "\n";
    }
    const auto r = generate("--image-list " + list + " --out " + out + " --format " + format);
    EXPECT_NE(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("no space left on the device"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(out), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(out) && std::string(format) == "tsv");
  }
  TinyDisk disk;
  const auto pt = disk.file("x.pt");
  const auto r = run_command(import_command(pt));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("no space left on the device"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(pt), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(pt));
  for (const auto& e : fs::directory_iterator(fs::path(pt).parent_path()))
    EXPECT_EQ(e.path().filename().string().find("x.pt.tmp"), std::string::npos) << e.path();
}

}  // namespace
