#include "bua/io/base64.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "bua/util/error.h"

namespace {
std::string error_of(const std::string& text) {
  try {
    bua::base64_decode(text, "row 3: boxes");
  } catch (const bua::Error& e) {
    return e.what();
  }
  return "";
}
std::string str(const std::vector<uint8_t>& v) { return std::string(v.begin(), v.end()); }
}  // namespace

// RFC 4648 test vectors.
TEST(Base64, MatchesRfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},  {"foob", "Zm9vYg=="},  {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(bua::base64_encode(std::string_view(plain)), encoded);
    EXPECT_EQ(str(bua::base64_decode(encoded, "t")), plain);
    EXPECT_EQ(bua::base64_decoded_size(encoded, "t"), std::strlen(plain));
  }
  // The two characters that differ between the standard and the URL-safe alphabets.
  EXPECT_EQ(bua::base64_encode(std::string("\xfb\xff\xbf", 3)), "+/+/");
}

TEST(Base64, RoundTripsRandomBytes) {
  std::mt19937 rng(7);
  for (size_t n = 0; n < 300; ++n) {
    std::string bytes(n, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    std::string text = bua::base64_encode(bytes);
    EXPECT_EQ(text.size() % 4, 0u);
    EXPECT_EQ(text.find('\n'), std::string::npos);
    EXPECT_EQ(str(bua::base64_decode(text, "t")), bytes);
  }
}

TEST(Base64, RejectsBadInputWithItsPosition) {
  EXPECT_EQ(error_of("Zm9v!mFy"), "row 3: boxes: bad base64 character '!' at offset 4");
  EXPECT_EQ(error_of("Zm9vYmF"), "row 3: boxes: bad base64: length 7 is not a multiple of 4 (truncated?)");
  EXPECT_EQ(error_of("Zm9v\nmFy"), "row 3: boxes: bad base64 character 0x0A at offset 4");
  EXPECT_EQ(error_of("Zm-vYmFy"), "row 3: boxes: bad base64 character '-' at offset 2");  // URL-safe alphabet
  EXPECT_EQ(error_of("Zg==Zm8="), "row 3: boxes: bad base64 character '=' at offset 2");  // padding inside
  EXPECT_EQ(error_of("Z==="), "row 3: boxes: bad base64 character '=' at offset 1");
  EXPECT_EQ(error_of("Zm9vY!=="), "row 3: boxes: bad base64 character '!' at offset 5");

  std::vector<uint8_t> out(2);
  EXPECT_THROW(bua::base64_decode_into("Zm9v", out.data(), out.size(), "t"), bua::Error);
}
