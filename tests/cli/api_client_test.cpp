// xlbctl's reading of an API error answer: the code on the wire back to an ErrorCode, and a code
// it does not know (a newer xlbd's) handled by the answer's HTTP status.
#include "cli/api_client.h"

#include <gtest/gtest.h>

namespace xlb::cli {
namespace {

using nlohmann::json;

json error_body(const json& code) {
  return {{"error", {{"code", code}, {"message", "no rule 10.0.0.1:80/tcp"}, {"field", ""}}}};
}

TEST(ErrorFromReply, KnownCodeIsKept) {
  Error e = error_from_reply(409, error_body("limit_exceeded"));
  EXPECT_EQ(e.code, ErrorCode::limit_exceeded);  // not conflict, though 409 too
  EXPECT_EQ(e.message, "no rule 10.0.0.1:80/tcp");
  EXPECT_EQ(e.field, "");
}

TEST(ErrorFromReply, UnknownCodeFallsBackToTheStatus) {
  EXPECT_EQ(error_from_reply(404, error_body("rule_gone")).code, ErrorCode::not_found);
  EXPECT_EQ(error_from_reply(503, error_body("peer_syncing")).code, ErrorCode::unavailable);
  EXPECT_EQ(error_from_reply(418, error_body("teapot")).code, ErrorCode::http);
  EXPECT_EQ(error_from_reply(404, error_body("rule_gone")).message, "no rule 10.0.0.1:80/tcp");
}

TEST(ErrorFromReply, CodeThatIsNoStringFallsBackToTheStatus) {
  EXPECT_EQ(error_from_reply(400, error_body(7)).code, ErrorCode::invalid_argument);
  json no_code = {{"error", {{"message", "bad"}}}};
  EXPECT_EQ(error_from_reply(500, no_code).code, ErrorCode::internal);
}

TEST(ErrorFromReply, AnswerWithoutAnErrorSaysTheStatus) {
  Error e = error_from_reply(502, json::parse("[1]"));
  EXPECT_EQ(e.code, ErrorCode::http);
  EXPECT_EQ(e.message, "xlbd answered HTTP 502");
}

}  // namespace
}  // namespace xlb::cli
