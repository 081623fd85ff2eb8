// The http(s) request text and the reply check: pure, fed by hand.
#include "health/http_exchange.h"

#include <gtest/gtest.h>

namespace xlb::health {
namespace {

HttpResponseCheck check(std::string body = "", StatusRange status = {}) {
  return HttpResponseCheck(status, std::move(body));
}

TEST(HttpRequest, IsTheMinimalGet) {
  EXPECT_EQ(http_request("/healthz", "10.0.0.2:8080"),
            "GET /healthz HTTP/1.1\r\nHost: 10.0.0.2:8080\r\nConnection: close\r\n\r\n");
}

TEST(StatusLine, Parses) {
  EXPECT_EQ(parse_status_line("HTTP/1.1 200 OK"), 200);
  EXPECT_EQ(parse_status_line("HTTP/1.0 503 Service Unavailable"), 503);
  EXPECT_EQ(parse_status_line("HTTP/2 204"), 204);
  for (const char* bad : {"", "HTTP/1.1", "HTTP/1.1 20", "HTTP/1.1 2000 OK", "http/1.1 200 OK",
                          "HTTP/x.1 200 OK", "HTTP/1.1 2x0 OK", "SSH-2.0-OpenSSH_9.2"}) {
    EXPECT_FALSE(parse_status_line(bad)) << bad;
  }
}

TEST(HttpResponseCheck, DecidesOnTheStatusLineWhenNoBodyIsExpected) {
  auto c = check();
  EXPECT_FALSE(c.feed("HTTP/1.1 20"));  // not a whole line yet
  auto r = c.feed("4 No Content\r\n");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->up);
}

TEST(HttpResponseCheck, StatusOutsideTheRangeIsDownWithTheCode) {
  auto r = check().feed("HTTP/1.1 503 Service Unavailable\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->up);
  EXPECT_EQ(r->error, "http 503");
  EXPECT_TRUE(check("", {500, 503}).feed("HTTP/1.1 503 x\r\n")->up);
}

TEST(HttpResponseCheck, AcceptsABareLineFeed) {
  EXPECT_TRUE(check().feed("HTTP/1.0 200 OK\nServer: x\n\n")->up);
}

TEST(HttpResponseCheck, GarbageIsAMalformedStatusLine) {
  EXPECT_EQ(check().feed("SSH-2.0-OpenSSH_9.2\r\n")->error, "malformed http status line");
  auto c = check();
  EXPECT_EQ(c.feed(std::string(2000, 'x'))->error, "malformed http status line");
}

TEST(HttpResponseCheck, FindsTheBodySubstringAcrossReads) {
  auto c = check("healthy");
  EXPECT_FALSE(c.feed("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n"));
  EXPECT_FALSE(c.feed("\r\nall heal"));
  auto r = c.feed("thy\n");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->up);
}

TEST(HttpResponseCheck, HeadersDoNotCountAsBody) {
  auto c = check("ok");
  EXPECT_FALSE(c.feed("HTTP/1.1 200 OK\r\nX-State: ok\r\n\r\nnope"));
  ProbeResult r = c.at_eof();
  EXPECT_FALSE(r.up);
  EXPECT_EQ(r.error, "body does not contain \"ok\"");
}

TEST(HttpResponseCheck, AWrongStatusWinsOverTheBody) {
  EXPECT_EQ(check("ok").feed("HTTP/1.1 500 x\r\n\r\nok")->error, "http 500");
}

TEST(HttpResponseCheck, StopsReadingAt64KiB) {
  auto c = check("needle");
  EXPECT_FALSE(c.feed("HTTP/1.1 200 OK\r\n\r\n"));
  std::optional<ProbeResult> r;
  while (!r) {
    ASSERT_GT(c.room(), 0u);
    r = c.feed(std::string(4096, 'h'));
  }
  EXPECT_FALSE(r->up);
  EXPECT_EQ(r->error, "body does not contain \"needle\" in its first 64 KiB");
  EXPECT_EQ(c.room(), 0u);
}

TEST(HttpResponseCheck, EarlyCloseSaysWhereItStopped) {
  EXPECT_EQ(check().at_eof().error, "connection closed without a response");
  auto partial = check();
  EXPECT_FALSE(partial.feed("HTTP/1.1 2"));
  EXPECT_EQ(partial.at_eof().error, "malformed http status line");
  auto headers = check("ok");
  EXPECT_FALSE(headers.feed("HTTP/1.1 200 OK\r\nServer: x\r\n"));
  EXPECT_EQ(headers.at_eof().error, "connection closed within the http headers");
}

}  // namespace
}  // namespace xlb::health
