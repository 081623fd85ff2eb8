// API token files: what is accepted, what is refused (naming the option, never the token), and
// the comparison.
#include "common/token_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace xlb {
namespace {

class TokenFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "xlb-token-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/token";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void write(const std::string& text, mode_t mode = 0600) {
    std::ofstream(path_, std::ios::trunc) << text;
    ASSERT_EQ(::chmod(path_.c_str(), mode), 0);
  }
  Result<std::string> read(bool require_private = true) {
    return read_token_file(path_, "api-token-file", require_private);
  }

  std::string dir_, path_;
};

TEST_F(TokenFile, TrimsSurroundingWhitespace) {
  write("  0123456789abcdef+/=\n\n");
  auto t = read();
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(*t, "0123456789abcdef+/=");
}

TEST_F(TokenFile, PrivateModesAreAccepted) {
  for (mode_t mode : {0600, 0400}) {
    write("0123456789abcdef", mode);
    EXPECT_TRUE(read().ok()) << std::oct << mode;
  }
}

TEST_F(TokenFile, ModesOthersCanUseAreRefusedOnlyWhenPrivacyIsRequired) {
  for (mode_t mode : {0644, 0640, 0620, 0606, 0601}) {
    write("0123456789abcdef", mode);
    auto t = read();
    ASSERT_FALSE(t.ok()) << std::oct << mode;
    EXPECT_EQ(t.error().field, "api-token-file");
    EXPECT_NE(t.error().message.find(path_), std::string::npos) << t.error().message;
    EXPECT_NE(t.error().message.find("chmod 0600"), std::string::npos) << t.error().message;
    EXPECT_TRUE(read(/*require_private=*/false).ok());  // xlbctl's view: a shared operator file
  }
}

TEST_F(TokenFile, BadTokensAreRefusedWithoutQuotingThem) {
  for (const std::string& bad :
       {std::string("tooshort-123"), std::string("has a space in it 12345"),
        std::string("tab\tinside-0123456789"), std::string("caf\xc3\xa9-0123456789abcdef"),
        std::string(1025, 'a'), std::string("\n\n")}) {
    write(bad);
    auto t = read();
    ASSERT_FALSE(t.ok()) << bad;
    EXPECT_NE(t.error().message.find("--api-token-file " + path_), std::string::npos)
        << t.error().message;
    if (bad.size() > 2) {
      EXPECT_EQ(t.error().message.find(bad), std::string::npos);
    }
    EXPECT_EQ(t.error().message.find('\n'), std::string::npos);
  }
}

TEST_F(TokenFile, MissingFileAndSymlinkAreRefused) {
  auto missing = read();
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("No such file"), std::string::npos);

  write("0123456789abcdef");
  const std::string link = dir_ + "/link";
  std::filesystem::create_symlink(path_, link);
  auto through_link = read_token_file(link, "api-token-file", true);
  EXPECT_FALSE(through_link.ok());  // O_NOFOLLOW: the permission check is on the real file
}

TEST(TokensEqual, OnlyTheExactTokenMatches) {
  const std::string token = "0123456789abcdef";
  EXPECT_TRUE(tokens_equal(token, "0123456789abcdef"));
  EXPECT_FALSE(tokens_equal(token, "0123456789abcdeF"));
  EXPECT_FALSE(tokens_equal(token, "0123456789abcde"));
  EXPECT_FALSE(tokens_equal(token, "0123456789abcdef0"));
  EXPECT_FALSE(tokens_equal(token, "0123456789abcdef0123456789abcdef"));  // repeats it
  EXPECT_FALSE(tokens_equal(token, ""));
  EXPECT_FALSE(tokens_equal("", ""));
}

}  // namespace
}  // namespace xlb
