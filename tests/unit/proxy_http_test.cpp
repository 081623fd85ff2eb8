// xlb-proxy's HTTP handling without sockets: the parser's refusals (what llhttp 8.1 lets
// through included), the re-framed bodies, the heads the proxy writes, PPv2 and limits.
#include <gtest/gtest.h>

#include "proxy/control.h"
#include "proxy/forward.h"
#include "proxy/http_parser.h"
#include "proxy/ppv2.h"
#include "proxy_test_harness.h"

namespace xlb::proxy {
namespace {

using testing_proxy::parsed_request;

// Feeds `bytes` in slices of `step` (0: all at once), as a socket might deliver them; returns
// the body the parser re-framed. Stops at the end of the first message or a failure.
std::string feed_all(HttpParser& p, std::string_view bytes, size_t step = 0) {
  std::string held, body;
  size_t at = 0;
  while (p.state() == HttpParser::State::head || p.state() == HttpParser::State::body) {
    if (at < bytes.size()) {
      const size_t n = step ? std::min(step, bytes.size() - at) : bytes.size() - at;
      held.append(bytes.substr(at, n));
      at += n;
    } else if (held.empty()) {
      break;
    }
    const size_t used = p.feed(held, body);
    held.erase(0, used);
    if (used == 0 && at >= bytes.size()) break;
  }
  return body;
}

struct RefusedCase {
  const char* what;
  std::string_view request;  // a view, so a case may hold a NUL byte
  int status;
};

TEST(ProxyHttpParser, RefusesWhatMustNeverBeForwarded) {
  const Limits limits;
  const std::string long_value(20000, 'a');
  const std::string long_target = "/" + std::string(9000, 'a');
  const std::vector<RefusedCase> cases = {
      {"CL+TE",
       "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
       400},
      {"TE+CL",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
       400},
      {"duplicate CL",
       "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx", 400},
      {"CL list", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 1\r\n\r\nx", 400},
      {"xchunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n", 400},
      {"identity, chunked",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity, chunked\r\n\r\n", 400},
      {"TE twice",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: "
       "chunked\r\n\r\n",
       400},
      {"TE in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
      {"space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400},
      {"obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n c\r\n\r\n", 400},
      {"bare LF", "GET / HTTP/1.1\nHost: a\n\n", 400},
      {"bare LF in a field", "GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n", 400},
      {"bare CR", "GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n", 400},
      {"NUL", std::string_view("GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n", 29), 400},
      {"HTTP/0.9", "GET /\r\n\r\n", 400},
      {"HTTP/1.2", "GET / HTTP/1.2\r\nHost: a\r\n\r\n", 400},
      {"no Host", "GET / HTTP/1.1\r\n\r\n", 400},
      {"two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
      {"CONNECT", "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", 405},
      {"leading empty line", "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
  };
  for (const auto& c : cases) {
    HttpParser p(HttpParser::Kind::request, limits);
    feed_all(p, c.request);
    EXPECT_EQ(p.state(), HttpParser::State::failed) << c.what;
    EXPECT_EQ(p.fault().status, c.status) << c.what << ": " << p.fault().reason;
  }
  HttpParser big(HttpParser::Kind::request, limits);
  feed_all(big, "GET / HTTP/1.1\r\nHost: a\r\nX: " + long_value + "\r\n\r\n");
  EXPECT_EQ(big.fault().status, 431);
  HttpParser long_line(HttpParser::Kind::request, limits);
  feed_all(long_line, "GET " + long_target + " HTTP/1.1\r\nHost: a\r\n\r\n", 100);
  EXPECT_EQ(long_line.fault().status, 414);
  Limits few = limits;
  few.max_headers = 8;
  HttpParser many(HttpParser::Kind::request, few);
  std::string request = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (int i = 0; i < 9; ++i) request += "X" + std::to_string(i) + ": y\r\n";
  feed_all(many, request + "\r\n");
  EXPECT_EQ(many.fault().status, 431);
}

TEST(ProxyHttpParser, AHeadIsReportedOnlyWhenWholeAndChecked) {
  const Limits limits;
  HttpParser p(HttpParser::Kind::request, limits);
  std::string body;
  const std::string head = "GET /a?b HTTP/1.1\r\nHost: www.a.com\r\nX-Y:  z \r\n\r\n";
  for (size_t n = 0; n + 1 < head.size(); ++n) {
    EXPECT_EQ(p.feed(std::string_view(head).substr(0, n), body), 0u) << n;
    EXPECT_EQ(p.state(), HttpParser::State::head) << n;
  }
  EXPECT_EQ(p.feed(head + "GET /next", body), head.size());
  EXPECT_EQ(p.state(), HttpParser::State::done);
  EXPECT_EQ(p.head().method, "GET");
  EXPECT_EQ(p.head().target, "/a?b");
  EXPECT_EQ(p.head().one("x-y"), "z");
  EXPECT_EQ(p.head().framing, Framing::none);
  EXPECT_TRUE(p.head().keep_alive);
}

TEST(ProxyHttpParser, ChunkedBodiesAreReframedWithoutExtensionsOrTrailers) {
  const Limits limits;
  const std::string request =
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n"
      "3;name=value\r\nabc\r\n0A\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\nGET / HTTP/1.1";
  for (size_t step : {0, 1, 7}) {
    HttpParser p(HttpParser::Kind::request, limits);
    const std::string body = feed_all(p, request, step);
    EXPECT_EQ(p.state(), HttpParser::State::done) << step;
    EXPECT_EQ(body, "3\r\nabc\r\na\r\n0123456789\r\n0\r\n\r\n") << step;
  }
  Limits tight = limits;
  tight.max_chunk_ext_bytes = 4;
  HttpParser p(HttpParser::Kind::request, tight);
  feed_all(p,
           "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;abcdef=g\r\nx\r\n");
  EXPECT_EQ(p.state(), HttpParser::State::failed);
}

TEST(ProxyHttpParser, LengthBodiesStopAtTheirEnd) {
  const Limits limits;
  HttpParser p(HttpParser::Kind::request, limits);
  std::string body;
  const std::string head = "PUT /f HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n";
  ASSERT_EQ(p.feed(head, body), head.size());
  ASSERT_EQ(p.state(), HttpParser::State::body);
  EXPECT_EQ(p.feed("hel", body), 3u);
  EXPECT_EQ(p.feed("loGET", body), 2u);
  EXPECT_EQ(p.state(), HttpParser::State::done);
  EXPECT_EQ(body, "hello");
}

TEST(ProxyHttpParser, Responses) {
  const Limits limits;
  HttpParser bad(HttpParser::Kind::response, limits);
  feed_all(bad, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n");
  EXPECT_EQ(bad.state(), HttpParser::State::failed);
  EXPECT_EQ(bad.fault().status, 502);

  HttpParser head(HttpParser::Kind::response, limits);
  head.expect_no_body();
  feed_all(head, "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n");
  EXPECT_EQ(head.state(), HttpParser::State::done);
  EXPECT_EQ(head.head().framing, Framing::none);
  EXPECT_NE(client_response_head(head.head(), true, 1).find("Content-Length: 1234\r\n"),
            std::string::npos);

  HttpParser eof(HttpParser::Kind::response, limits);
  std::string body = feed_all(eof, "HTTP/1.1 200 OK\r\n\r\nuntil the end");
  EXPECT_EQ(eof.state(), HttpParser::State::body);
  EXPECT_EQ(eof.head().framing, Framing::until_close);
  EXPECT_FALSE(eof.head().keep_alive);
  eof.finish(body);
  EXPECT_EQ(eof.state(), HttpParser::State::done);
  EXPECT_EQ(body, "until the end");

  HttpParser cut(HttpParser::Kind::response, limits);
  body = feed_all(cut, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
  cut.finish(body);
  EXPECT_EQ(cut.state(), HttpParser::State::failed);

  HttpParser close(HttpParser::Kind::response, limits);
  feed_all(close, "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(close.state(), HttpParser::State::done);
  EXPECT_FALSE(close.head().keep_alive);
}

TEST(ProxyForward, XffModesAndTrust) {
  const MessageHead forged = parsed_request(
      "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 6.6.6.6\r\nX-Forwarded-For: 7.7.7.7\r\n"
      "X-Real-IP: 6.6.6.6\r\nX-Forwarded-Proto: https\r\n\r\n");
  ForwardContext ctx{.client = "10.1.1.10", .listen_port = 80};
  std::string head = backend_request_head(forged, ctx);
  EXPECT_NE(head.find("X-Forwarded-For: 6.6.6.6, 7.7.7.7, 10.1.1.10\r\n"), std::string::npos)
      << head;
  EXPECT_NE(head.find("X-Forwarded-Proto: http\r\n"), std::string::npos) << head;
  EXPECT_EQ(head.find("https"), std::string::npos) << head;
  EXPECT_NE(head.find("X-Forwarded-Port: 80\r\n"), std::string::npos);

  ctx.xff = model::Xff::replace;
  head = backend_request_head(forged, ctx);
  EXPECT_NE(head.find("X-Forwarded-For: 10.1.1.10\r\n"), std::string::npos) << head;
  EXPECT_EQ(head.find("6.6.6.6"), std::string::npos) << head;

  ctx.client_trusted = true;
  head = backend_request_head(forged, ctx);
  EXPECT_NE(head.find("X-Forwarded-For: 6.6.6.6, 7.7.7.7, 10.1.1.10\r\n"), std::string::npos);
  EXPECT_NE(head.find("X-Forwarded-Proto: https\r\n"), std::string::npos) << head;

  ctx = ForwardContext{.client = "10.1.1.10", .xff = model::Xff::off, .listen_port = 80};
  head = backend_request_head(forged, ctx);
  EXPECT_NE(head.find("X-Forwarded-For: 6.6.6.6\r\nX-Forwarded-For: 7.7.7.7\r\n"),
            std::string::npos)
      << head;
  EXPECT_EQ(head.find("10.1.1.10"), std::string::npos) << head;
}

TEST(ProxyForward, HopByHopFieldsGoAndFramingIsTheProxys) {
  const MessageHead req = parsed_request(
      "POST /x HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, X-Secret, Host\r\nX-Secret: 1\r\n"
      "Keep-Alive: timeout=5\r\nTE: trailers\r\nUpgrade: h2c\r\nProxy-Connection: x\r\n"
      "Transfer-Encoding: chunked\r\nX-Kept: yes\r\n\r\n");
  const std::string head = backend_request_head(req, {.client = "1.2.3.4", .listen_port = 80});
  for (const char* gone : {"Connection", "X-Secret", "Keep-Alive", "TE:", "Upgrade", "Proxy-"})
    EXPECT_EQ(head.find(gone), std::string::npos) << gone << " in\n" << head;
  EXPECT_EQ(head.rfind("POST /x HTTP/1.1\r\nHost: a\r\n", 0), 0u) << head;
  EXPECT_NE(head.find("X-Kept: yes\r\n"), std::string::npos);
  EXPECT_NE(head.find("Transfer-Encoding: chunked\r\n"), std::string::npos);
  EXPECT_EQ(head.substr(head.size() - 4), "\r\n\r\n");
  const std::string never =
      backend_request_head(req, {.client = "1.2.3.4", .listen_port = 80, .close_backend = true});
  EXPECT_NE(never.find("Connection: close\r\n"), std::string::npos);
}

TEST(ProxyForward, ErrorResponsesAreShortAndClose) {
  const std::string r = error_response(408, "request head not received", false);
  EXPECT_EQ(r.rfind("HTTP/1.1 408 Request Timeout\r\n", 0), 0u);
  EXPECT_NE(r.find("Connection: close\r\n"), std::string::npos);
  const size_t body = r.find("\r\n\r\n") + 4;
  EXPECT_NE(r.find("Content-Length: " + std::to_string(r.size() - body)), std::string::npos);
}

TEST(ProxyPpv2, Header) {
  std::string h("\r\n\r\n\0\r\nQUIT\n", 12);
  EXPECT_EQ(parse_ppv2("GET / HTTP/1.1").status, Ppv2Header::Status::absent);
  EXPECT_EQ(parse_ppv2(h.substr(0, 5)).status, Ppv2Header::Status::need_more);
  std::string v4 = h + std::string("\x21\x11\x00\x0c", 4) + std::string("\xc0\x00\x02\x07", 4) +
                   std::string("\x0a\x00\x00\x01\x30\x39\x00\x50", 8);
  EXPECT_EQ(parse_ppv2(v4.substr(0, 20)).status, Ppv2Header::Status::need_more);
  const Ppv2Header ok = parse_ppv2(v4 + "GET");
  EXPECT_EQ(ok.status, Ppv2Header::Status::ok);
  EXPECT_EQ(ok.length, 28u);
  EXPECT_EQ(ok.source, "192.0.2.7");
  std::string v1 = v4;
  v1[12] = 0x11;  // version 1 in the v2 signature
  EXPECT_EQ(parse_ppv2(v1).status, Ppv2Header::Status::invalid);
  std::string huge = h + std::string("\x21\x11\xff\xff", 4);
  EXPECT_EQ(parse_ppv2(huge).status, Ppv2Header::Status::invalid);
}

TEST(ProxyControl, LimitsAndConfigAreCheckedWhole) {
  EXPECT_FALSE(limits_from_json({{"max_headers", 2}}).ok());
  EXPECT_FALSE(limits_from_json({{"max_header", 100}}).ok());
  auto limits = limits_from_json({{"header_timeout_ms", 2000}});
  ASSERT_TRUE(limits.ok());
  EXPECT_EQ(limits->header_timeout_ms, 2000u);
  EXPECT_EQ(limits->max_headers, Limits{}.max_headers);

  model::Service l7;
  l7.key = {"20.20.20.1", model::Protocol::tcp, 80, "www.a.com"};
  l7.mode = model::Mode::fullproxy;
  l7.endpoints = {{"10.1.2.10", 8080, 1, model::EndpointState::up}};
  ProxyConfig config{.limits = *limits, .rules = {l7}};
  auto back = config_from_message(config_message(config));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->rules, config.rules);
  EXPECT_EQ(back->limits, config.limits);
  config.rules.push_back(l7);
  EXPECT_FALSE(config_from_message(config_message(config)).ok()) << "a rule twice";
  config.rules.back().mode = model::Mode::nat;
  config.rules.back().key.host.clear();
  EXPECT_FALSE(config_from_message(config_message(config)).ok()) << "an L4 rule";
}

}  // namespace
}  // namespace xlb::proxy
