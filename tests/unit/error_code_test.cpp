// Error codes: each code's wire name and HTTP status as the API documents them
// (docs/api/openapi.yaml), spelt out independently of the table in common/error_code.h, and
// what a client makes of a code it does not know.
#include "common/error_code.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "common/result.h"

namespace xlb {
namespace {

struct Expected {
  const char* wire;
  int status;
};

// Every code, with the status it must answer with. A new code fails the count check below
// until it is listed here with its intended status.
const Expected kExpected[] = {
    {"invalid_argument", 400},
    {"unauthenticated", 401},
    {"not_found", 404},
    {"conflict", 409},
    {"already_exists", 409},
    {"limit_exceeded", 409},
    {"too_large", 413},
    {"not_supported", 501},
    {"unavailable", 503},
    {"internal", 500},
    {"datapath", 500},
    {"permission", 500},
    {"bpffs", 500},
    {"store", 500},
    {"io", 500},
    {"system", 500},
    {"startup", 500},
    {"file", 500},
    {"http", 500},
};

TEST(ErrorCode, EveryCodeHasItsWireNameAndStatus) {
  ASSERT_EQ(std::size(kErrorCodes), std::size(kExpected)) << "a code is missing from kExpected";
  std::set<std::string> seen;
  for (const auto& e : kExpected) {
    auto code = error_code_from_wire(e.wire);
    ASSERT_TRUE(code) << e.wire << " is not a known code";
    EXPECT_EQ(wire_name(*code), e.wire);
    EXPECT_EQ(http_status(*code), e.status) << e.wire;
    EXPECT_TRUE(seen.insert(e.wire).second) << e.wire << " listed twice";
  }
}

TEST(ErrorCode, TableIsInEnumOrder) {
  for (size_t i = 0; i < std::size(kErrorCodes); ++i) {
    EXPECT_EQ(static_cast<size_t>(kErrorCodes[i].code), i) << kErrorCodes[i].wire_name;
  }
}

TEST(ErrorCode, AnUnknownWireNameIsNoCode) {
  EXPECT_FALSE(error_code_from_wire("quota_exceeded"));
  EXPECT_FALSE(error_code_from_wire(""));
  EXPECT_FALSE(error_code_from_wire("NOT_FOUND"));  // wire names are case-sensitive
}

// A client that does not know a code falls back to the code of the answer's HTTP status.
TEST(ErrorCode, StatusFallback) {
  EXPECT_EQ(error_code_for_http_status(400), ErrorCode::invalid_argument);
  EXPECT_EQ(error_code_for_http_status(404), ErrorCode::not_found);
  EXPECT_EQ(error_code_for_http_status(409), ErrorCode::conflict);
  EXPECT_EQ(error_code_for_http_status(500), ErrorCode::internal);
  EXPECT_EQ(error_code_for_http_status(503), ErrorCode::unavailable);
  EXPECT_EQ(error_code_for_http_status(418), ErrorCode::http);
}

TEST(ErrorCode, InvalidIsInvalidArgument) {
  Error e = invalid("port", "port must be 1 to 65535");
  EXPECT_EQ(e.code, ErrorCode::invalid_argument);
  EXPECT_EQ(http_status(e.code), 400);
  EXPECT_EQ(e.field, "port");
}

}  // namespace
}  // namespace xlb
