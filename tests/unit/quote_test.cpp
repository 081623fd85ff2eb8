#include "common/quote.h"

#include <gtest/gtest.h>

namespace xlb {
namespace {

TEST(Quoted, WrapsPlainTextInDoubleQuotes) { EXPECT_EQ(xlb::quoted("web1"), "\"web1\""); }

TEST(Quoted, EscapesNewlinesQuotesAndControlBytesSoTheMessageStaysOneLine) {
  EXPECT_EQ(xlb::quoted("a\nb"), R"("a\nb")");
  EXPECT_EQ(xlb::quoted("say \"hi\""), R"("say \"hi\"")");
  EXPECT_EQ(xlb::quoted(std::string("x\0y\x7f", 4)), "\"x\\u0000y\x7f\"");
  EXPECT_EQ(xlb::quoted("\r\t"), R"("\r\t")");
}

TEST(Quoted, ReplacesInvalidUtf8InsteadOfThrowing) {
  const std::string shown = xlb::quoted("w\xff\xfe");
  EXPECT_EQ(shown, "\"w\xEF\xBF\xBD\xEF\xBF\xBD\"");  // two U+FFFD
}

TEST(Quoted, CutsLongTextAndSaysSo) {
  const std::string long_text(200, 'a');
  EXPECT_EQ(xlb::quoted(long_text), "\"" + std::string(64, 'a') + "\"...");
  EXPECT_EQ(xlb::quoted(long_text, 8), "\"aaaaaaaa\"...");
  EXPECT_EQ(xlb::quoted(std::string(64, 'b')), "\"" + std::string(64, 'b') + "\"");
}

}  // namespace
}  // namespace xlb
