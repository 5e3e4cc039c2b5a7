// Vocabulary files in the released format (data/genome/1600-400-20/*_vocab.txt).
#include <gtest/gtest.h>

#include "bua/data/vocab.h"
#include "bua/util/atomic_file.h"
#include "bua/util/error.h"
#include "test_support.h"

using bua::testing::TempDir;

TEST(Vocab, ReadsReleasedFormatWithSynonyms) {
  TempDir dir;
  // Lines as in the released objects/relations vocabularies: no newline after the last line.
  bua::write_file_atomic(dir.file("objects.txt"), "yolk\ngoal\nstop sign,stopsign\nmicrowave,microwave oven\nbuoy");
  bua::Vocab v = bua::Vocab::load(dir.file("objects.txt"), bua::kBackgroundClass);
  ASSERT_EQ(v.size(), 6u);
  EXPECT_EQ(v.name(0), "__background__");
  EXPECT_EQ(v.name(1), "yolk");
  EXPECT_EQ(v.name(3), "stop sign");
  EXPECT_EQ(v.name(5), "buoy");
  EXPECT_EQ(v.index("__background__"), 0);
  EXPECT_EQ(v.index("stopsign"), 3);
  EXPECT_EQ(v.index("microwave oven"), 4);
  EXPECT_EQ(v.index("  Microwave Oven "), 4);  // lower-cased and stripped like the original
  EXPECT_EQ(v.index("buoy"), 5);
  EXPECT_EQ(v.index("boat"), -1);
  EXPECT_EQ(v.index_of_clean("Yolk"), -1);  // the no-copy lookup expects a clean name
}

TEST(Vocab, StripsSynonymsAndAcceptsCrlf) {
  TempDir dir;
  bua::write_file_atomic(dir.file("relations.txt"), "on\r\nswimming in, swimming,swims in\r\nNext To\r\n");
  bua::Vocab v = bua::Vocab::load(dir.file("relations.txt"), bua::kNoRelation);
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(v.name(0), "__no_relation__");
  EXPECT_EQ(v.name(1), "on");
  EXPECT_EQ(v.index("swimming"), 2);
  EXPECT_EQ(v.index("swims in"), 2);
  EXPECT_EQ(v.name(3), "next to");
  EXPECT_EQ(v.index("next to"), 3);
}

TEST(Vocab, LaterLinesWinForRepeatedSynonyms) {
  bua::Vocab v(bua::kNoAttribute, {{"grey", "gray"}, {"gray"}});
  EXPECT_EQ(v.index("grey"), 1);
  EXPECT_EQ(v.index("gray"), 2);
  EXPECT_EQ(v.name(0), "__no_attribute__");
}

TEST(Vocab, Errors) {
  TempDir dir;
  auto err = [&](const std::string& name) {
    try {
      bua::Vocab::load(dir.file(name), bua::kBackgroundClass);
    } catch (const bua::Error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_NE(err("missing.txt").find("missing.txt"), std::string::npos);
  bua::write_file_atomic(dir.file("blank.txt"), "a\n\nb\n");
  EXPECT_NE(err("blank.txt").find("blank.txt:2"), std::string::npos);
  bua::write_file_atomic(dir.file("empty.txt"), "");
  EXPECT_NE(err("empty.txt").find("empty"), std::string::npos);
}
