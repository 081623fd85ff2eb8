// ProbeSpec validation: each error names its field; names and status ranges parse both ways.
#include "health/probe_spec.h"

#include <gtest/gtest.h>

#include <cmath>

namespace xlb::health {
namespace {

ProbeSpec tcp_spec() {
  ProbeSpec s;
  s.type = ProbeType::tcp;
  s.ip = "10.0.0.2";
  s.port = 8080;
  return s;
}

// The field of the validation error, or "" when valid.
std::string error_field(const ProbeSpec& s) {
  auto r = validate(s);
  return r ? "" : r.error().field;
}

TEST(ProbeSpec, DefaultsAreTheDocumentedOnes) {
  ProbeSpec s;
  EXPECT_EQ(s.type, ProbeType::none);
  EXPECT_EQ(s.period_s, 5.0);
  EXPECT_EQ(s.timeout_s, 2.0);
  EXPECT_EQ(s.retries, 2);
  EXPECT_EQ(s.rise, 2);
  EXPECT_FALSE(s.verify);
  EXPECT_EQ(s.expect_status, (StatusRange{200, 399}));
  EXPECT_TRUE(validate(s));
  EXPECT_TRUE(validate(tcp_spec()));
}

TEST(ProbeSpec, RejectsABadAddress) {
  auto s = tcp_spec();
  s.ip = "10.0.0";
  auto r = validate(s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field, "probe.ip");
  EXPECT_EQ(r.error().message,
            "probe.ip must be an IPv4 or IPv6 address such as 10.0.0.2 or 2001:db8::2, "
            "got \"10.0.0\"");
}

TEST(ProbeSpec, PortIsRequiredExceptForPing) {
  auto s = tcp_spec();
  s.port = 0;
  EXPECT_EQ(error_field(s), "probe.port");
  s.type = ProbeType::ping;
  EXPECT_EQ(error_field(s), "");
}

TEST(ProbeSpec, PeriodIsFrom0Point1To3600SecondsAndMayBeFractional) {
  auto s = tcp_spec();
  s.timeout_s = 0.05;
  for (double ok : {0.1, 0.25, 3600.0}) {
    s.period_s = ok;
    EXPECT_EQ(error_field(s), "") << ok;
  }
  for (double bad : {0.05, 3601.0, std::nan("")}) {
    s.period_s = bad;
    EXPECT_EQ(error_field(s), "probe.period") << bad;
  }
  s.period_s = 0.01;
  EXPECT_EQ(validate(s).error().message, "probe.period must be from 0.1 to 3600 seconds, got 0.01");
}

TEST(ProbeSpec, TimeoutMayNotExceedThePeriod) {
  auto s = tcp_spec();
  s.period_s = 1;
  s.timeout_s = 1.5;
  EXPECT_EQ(error_field(s), "probe.timeout");
  s.timeout_s = 0;
  EXPECT_EQ(error_field(s), "probe.timeout");
  s.timeout_s = 1;
  EXPECT_EQ(error_field(s), "");
}

TEST(ProbeSpec, RetriesAndRiseAreFrom1To100) {
  auto s = tcp_spec();
  s.retries = 0;
  EXPECT_EQ(error_field(s), "probe.retries");
  s.retries = 101;
  EXPECT_EQ(error_field(s), "probe.retries");
  s.retries = 100;
  s.rise = 0;
  EXPECT_EQ(error_field(s), "probe.rise");
}

TEST(ProbeSpec, HttpRequestMustBeAPathThatCannotSplitTheRequest) {
  auto s = tcp_spec();
  s.type = ProbeType::http;
  for (const char* bad : {"health", "/a b", "/a\r\nX: y", "/\x7f"}) {
    s.request = bad;
    EXPECT_EQ(error_field(s), "probe.request") << bad;
  }
  s.request = "/healthz?full=1";
  EXPECT_EQ(error_field(s), "");
  EXPECT_EQ(http_path(s), "/healthz?full=1");
  s.request.clear();
  EXPECT_EQ(http_path(s), "/");
}

TEST(ProbeSpec, RequestAndExpectAreRefusedWhereTheyMeanNothing) {
  auto s = tcp_spec();
  s.request = "/x";
  EXPECT_EQ(error_field(s), "probe.request");
  s.request.clear();
  s.expect = "ok";
  EXPECT_EQ(error_field(s), "probe.expect");
  s.type = ProbeType::udp;
  s.request = std::string(1024, 'x');  // any bytes, up to 1 KiB
  EXPECT_EQ(error_field(s), "");
  s.request += "x";
  EXPECT_EQ(error_field(s), "probe.request");
}

TEST(ProbeSpec, HttpOnlyFieldsAreRefusedForOtherTypes) {
  auto s = tcp_spec();
  s.host = "example.com";
  EXPECT_EQ(error_field(s), "probe.host");
  s.host.clear();
  s.expect_status = {200, 200};
  EXPECT_EQ(error_field(s), "probe.expect_status");
  s.expect_status = {};
  s.verify = true;
  EXPECT_EQ(error_field(s), "probe.verify");
  s.type = ProbeType::https;
  EXPECT_EQ(error_field(s), "");
  s.host = "bad host";
  EXPECT_EQ(error_field(s), "probe.host");
}

TEST(ProbeSpec, ExpectStatusMustBeAnOrderedRangeOfStatusCodes) {
  auto s = tcp_spec();
  s.type = ProbeType::http;
  s.expect_status = {399, 200};
  EXPECT_EQ(error_field(s), "probe.expect_status");
  s.expect_status = {200, 600};
  EXPECT_EQ(error_field(s), "probe.expect_status");
}

TEST(StatusRange, ParsesACodeOrARange) {
  EXPECT_EQ(*parse_status_range("200"), (StatusRange{200, 200}));
  EXPECT_EQ(*parse_status_range("200-399"), (StatusRange{200, 399}));
  for (const char* bad :
       {"", "2xx", "200-", "-200", "399-200", "99", "600", "200-399-400", " 200"}) {
    auto r = parse_status_range(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().field, "probe.expect_status");
  }
  EXPECT_EQ(to_string(StatusRange{200, 200}), "200");
  EXPECT_EQ(to_string(StatusRange{200, 399}), "200-399");
}

TEST(ProbeType, NamesRoundTrip) {
  for (auto t : {ProbeType::none, ProbeType::ping, ProbeType::tcp, ProbeType::udp, ProbeType::http,
                 ProbeType::https}) {
    EXPECT_EQ(parse_probe_type(to_string(t)), t);
  }
  EXPECT_FALSE(parse_probe_type("icmp"));
}

}  // namespace
}  // namespace xlb::health
