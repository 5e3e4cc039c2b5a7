#include "bua/util/atomic_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "bua/util/error.h"
#include "test_support.h"

namespace fs = std::filesystem;

namespace {
std::string temp_of(const std::string& path) { return path + ".tmp." + std::to_string(::getpid()); }
}  // namespace

TEST(AtomicFile, NothingAppearsUntilCommit) {
  bua::testing::TempDir tmp;
  std::string path = tmp.file("out.bin");
  {
    bua::AtomicFile f(path);
    EXPECT_EQ(f.temp_path(), temp_of(path));
    f.write("hello ");
    f.stream() << "world " << 42;
    EXPECT_FALSE(fs::exists(path));
    EXPECT_TRUE(fs::exists(temp_of(path)));
    f.commit();
    EXPECT_TRUE(f.committed());
  }
  EXPECT_EQ(bua::read_file(path), "hello world 42");
  EXPECT_FALSE(fs::exists(temp_of(path)));
}

TEST(AtomicFile, UncommittedFileLeavesTheOldContents) {
  bua::testing::TempDir tmp;
  std::string path = tmp.file("out.txt");
  bua::write_file_atomic(path, "old");
  {
    bua::AtomicFile f(path);
    f.write("new, half written");
  }  // destroyed without commit, as when an exception unwinds
  EXPECT_EQ(bua::read_file(path), "old");
  EXPECT_FALSE(fs::exists(temp_of(path)));

  bua::AtomicFile g(path, /*sync_on_commit=*/true);
  g.write("new");
  g.discard();
  EXPECT_EQ(bua::read_file(path), "old");
  EXPECT_THROW(g.write("x"), bua::Error);
  EXPECT_THROW(g.commit(), bua::Error);

  bua::write_file_atomic(path, std::string("a\0b", 3), /*sync=*/true);
  EXPECT_EQ(bua::read_file(path), std::string("a\0b", 3));
}

TEST(AtomicFile, ErrorsNameTheFile) {
  try {
    bua::AtomicFile f("/nonexistent_dir_bua/out.tsv");
    FAIL() << "expected an error";
  } catch (const bua::Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent_dir_bua/out.tsv"), std::string::npos) << e.what();
  }
  try {
    bua::read_file("/nonexistent_dir_bua/in.tsv");
    FAIL() << "expected an error";
  } catch (const bua::Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("/nonexistent_dir_bua/in.tsv: cannot open", 0), 0u) << e.what();
  }
  bua::testing::TempDir tmp;
  std::ofstream(tmp.file("empty")).flush();
  EXPECT_EQ(bua::read_file(tmp.file("empty")), "");
}

TEST(AtomicFile, CommitFailsWhenTheTargetIsADirectory) {
  bua::testing::TempDir tmp;
  fs::create_directories(tmp.path() / "dir" / "child");
  bua::AtomicFile f(tmp.file("dir"));
  f.write("x");
  EXPECT_THROW(f.commit(), bua::Error);
  EXPECT_FALSE(fs::exists(temp_of(tmp.file("dir"))));
}
