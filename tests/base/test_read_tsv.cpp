// The read_tsv tool, run as a user would: exit codes and what it prints.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "bua/io/tsv.h"
#include "bua/util/atomic_file.h"
#include "bua_test_paths.h"
#include "test_support.h"

namespace fs = std::filesystem;
using bua::testing::CommandResult;
using bua::testing::shell_quote;

namespace {

const std::string kDir = std::string(BUA_TEST_DATA) + "/tsv";
const std::string kOriginal = kDir + "/original.tsv";
const std::string kLxmert = kDir + "/lxmert.tsv";

class ReadTsvTool : public ::testing::Test {
 protected:
  void SetUp() override {
    tool_ = std::string(BUA_BIN_DIR) + "/read_tsv";
    ASSERT_TRUE(fs::exists(tool_)) << tool_ << " is not built (build the read_tsv target)";
  }
  CommandResult run(const std::string& args) { return bua::testing::run_command(shell_quote(tool_) + " " + args); }

  std::string tool_;
  bua::testing::TempDir tmp_;
};

// The rows of a TSV (without line ends).
std::vector<std::string> rows_of(const std::string& path) {
  std::vector<std::string> rows;
  std::istringstream in(bua::read_file(path));
  std::string line;
  while (std::getline(in, line)) rows.push_back(line);
  return rows;
}

void write_rows(const std::string& path, const std::vector<std::string>& rows) {
  std::string text;
  for (const auto& r : rows) text += r + "\n";  // rows still end in '\r' from rows_of
  bua::write_file_atomic(path, text);
}

std::vector<bua::FeatureRecord> records_of(const std::string& path) {
  std::vector<bua::FeatureRecord> out;
  bua::TsvReader reader(path);
  bua::FeatureRecord r;
  while (reader.next(r)) out.push_back(r);
  return out;
}

}  // namespace

TEST_F(ReadTsvTool, SummarizesAValidFile) {
  CommandResult r = run(shell_quote(kOriginal));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("valid, original layout"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("rows: 4\n"), std::string::npos);
  // 10, 36, 1 and 100 boxes.
  EXPECT_NE(r.output.find("boxes per image: min 1, mean 36.75, max 100\n"), std::string::npos);
  EXPECT_NE(r.output.find("feature dim: 2048\n"), std::string::npos);
  EXPECT_NE(r.output.find("objects/attributes: no\n"), std::string::npos);

  r = run(shell_quote(kLxmert));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("valid, lxmert layout"), std::string::npos);
  EXPECT_NE(r.output.find("objects/attributes: yes\n"), std::string::npos);
}

TEST_F(ReadTsvTool, BadRowsFailWithTheirLineNumber) {
  std::vector<std::string> rows = rows_of(kOriginal);
  std::string bad = tmp_.file("bad.tsv");

  std::vector<std::string> corrupt = rows;
  corrupt[2][corrupt[2].size() - 20] = '*';
  write_rows(bad, corrupt);
  CommandResult r = run(shell_quote(bad));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("read_tsv: error: " + bad + ":3: image 184613: features: bad base64 character '*'"),
            std::string::npos)
      << r.output;

  std::vector<std::string> repeated = rows;
  repeated.push_back(rows[0]);
  write_rows(bad, repeated);
  r = run(shell_quote(bad));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find(bad + ":5: image 391895 repeats the id of " + bad + ":1"), std::string::npos) << r.output;

  std::vector<std::string> short_row = rows;
  short_row[1] = short_row[1].substr(0, short_row[1].rfind('\t')) + "\r";
  write_rows(bad, short_row);
  r = run(shell_quote(bad));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find(bad + ":2: 5 fields; the original layout has 6"), std::string::npos) << r.output;
}

TEST_F(ReadTsvTool, ShowsOneRecord) {
  CommandResult r = run(shell_quote(kOriginal) + " --show 522418");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("found at " + kOriginal + ":2\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("num_boxes: 36\n"), std::string::npos);
  EXPECT_NE(r.output.find("boxes: [36, 4] float32"), std::string::npos);
  EXPECT_NE(r.output.find("features: [36, 2048] float32"), std::string::npos);

  r = run(shell_quote(kLxmert) + " --show COCO_val2014_000000000009");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("objects_id: [100] int64: "), std::string::npos) << r.output;

  r = run(shell_quote(kOriginal) + " --show 12345");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("no image with id '12345'"), std::string::npos) << r.output;
}

TEST_F(ReadTsvTool, ConvertsBetweenLayoutsAndNpz) {
  // LXMERT -> original: same arrays and sizes, the object fields dropped.
  std::string original = tmp_.file("original.tsv");
  CommandResult r = run(shell_quote(kLxmert) + " --convert-to tsv --out " + shell_quote(original));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("wrote " + original + ": 4 rows"), std::string::npos) << r.output;
  std::vector<bua::FeatureRecord> converted = records_of(original), reference = records_of(kOriginal);
  ASSERT_EQ(converted.size(), reference.size());
  for (size_t i = 0; i < converted.size(); ++i) {
    converted[i].image_id = reference[i].image_id;  // LXMERT ids are COCO file names
    EXPECT_EQ(converted[i], reference[i]);
  }

  // original -> LXMERT cannot invent the object fields.
  r = run(shell_quote(kOriginal) + " --convert-to lxmert --out " + shell_quote(tmp_.file("x.tsv")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find(kOriginal + ":1: image 391895 has no objects_id"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(tmp_.file("x.tsv")));

  // LXMERT -> NPZ folder -> LXMERT: the same rows (in file-name order).
  std::string npz = tmp_.file("npz");
  r = run(shell_quote(kLxmert) + " --convert-to npz --out " + shell_quote(npz));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::exists(npz + "/COCO_val2014_000000391895.npz"));
  r = run(shell_quote(npz));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("valid, folder of .npz files"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("rows: 4\n"), std::string::npos);
  std::string back = tmp_.file("back.tsv");
  r = run(shell_quote(npz) + " --convert-to lxmert --out " + shell_quote(back));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  std::vector<std::string> a = rows_of(back), b = rows_of(kLxmert);
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  EXPECT_TRUE(a == b);

  r = run(shell_quote(kOriginal) + " --convert-to csv --out " + shell_quote(tmp_.file("y")));
  EXPECT_NE(r.exit_code, 0);
  r = run(shell_quote(kOriginal) + " --convert-to npz");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("needs --out"), std::string::npos) << r.output;
}

TEST_F(ReadTsvTool, MergesPerGpuFilesDroppingRepeats) {
  std::vector<std::string> rows = rows_of(kOriginal);
  std::string out = tmp_.file("out.tsv");
  write_rows(out + ".0", {rows[0], rows[2]});
  write_rows(out + ".1", {rows[1], rows[0], rows[3]});  // rows[0] again: a resumed run's repeat
  CommandResult r = run("--merge " + shell_quote(out) + " " + shell_quote(out + ".0") + " " + shell_quote(out + ".1"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("wrote " + out + ": 4 rows from 2 files, 1 repeated ids dropped"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("WARN  " + out + ".1:2: image 391895 already merged"), std::string::npos) << r.output;
  EXPECT_EQ(rows_of(out), (std::vector<std::string>{rows[0], rows[2], rows[1], rows[3]}));

  r = run("--merge " + shell_quote(tmp_.file("mixed.tsv")) + " " + shell_quote(kOriginal) + " " + shell_quote(kLxmert));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("is in the lxmert layout"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(tmp_.file("mixed.tsv")));
}

TEST_F(ReadTsvTool, EmptyInputs) {
  bua::write_file_atomic(tmp_.file("empty.tsv"), "");
  CommandResult r = run(shell_quote(tmp_.file("empty.tsv")));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("empty.tsv: no rows"), std::string::npos) << r.output;
  fs::create_directories(tmp_.file("no_npz"));
  r = run(shell_quote(tmp_.file("no_npz")));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("no_npz: no rows"), std::string::npos) << r.output;
}

TEST_F(ReadTsvTool, UsageErrors) {
  EXPECT_NE(run("").exit_code, 0);
  EXPECT_NE(run(shell_quote(tmp_.file("missing.tsv"))).exit_code, 0);
  CommandResult r = run(shell_quote(kOriginal) + " " + shell_quote(kLxmert));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("give one feature file"), std::string::npos) << r.output;
  r = run(shell_quote(kOriginal) + " --out x");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("only used with --convert-to"), std::string::npos) << r.output;
}

// --convert-to's help lists every format the code can write, from the same table that parses the flag.
TEST_F(ReadTsvTool, HelpListsEveryOutputFormat) {
  const CommandResult r = run("--help");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  const size_t flag = r.output.find("--convert-to");
  ASSERT_NE(flag, std::string::npos) << r.output;
  const std::string line = r.output.substr(flag, r.output.find('\n', flag) - flag);
  for (const char* name : {"tsv", "lxmert", "npz", "hdf5-fixed", "hdf5-adaptive", "captioning"})
    EXPECT_NE(line.find(name), std::string::npos) << name << " missing from: " << line;
}
