// fullproxy rules in the model: identity with a host, the L7 fields on the wire, validation.
#include <gtest/gtest.h>

#include "common/ip.h"
#include "model/json.h"
#include "model/limits.h"
#include "model/validate.h"

namespace xlb::model {
namespace {

Service l7_rule(const std::string& host = "") {
  Service s;
  s.key = {"20.20.20.1", Protocol::tcp, 80, host};
  s.mode = Mode::fullproxy;
  s.endpoints = {{"10.1.2.10", 8080, 1, EndpointState::up}};
  return s;
}

TEST(L7Model, HostIsNormalizedOnTheWire) {
  nlohmann::json j = to_json(l7_rule());
  j["host"] = "WWW.A.com:8080";
  auto svc = service_from_json(j);
  ASSERT_TRUE(svc.ok()) << svc.error().message;
  EXPECT_EQ(svc->key.host, "www.a.com");
  EXPECT_EQ(to_string(svc->key), "20.20.20.1:80/tcp/www.a.com");
  EXPECT_TRUE(validate(*svc).ok());
}

TEST(L7Model, L7FieldsRoundTripAndStayOffL4Rules) {
  Service s = l7_rule("api.b.org");
  s.xff = Xff::replace;
  s.xff_trusted = {"10.0.0.0/8", "192.0.2.7"};
  s.reuse = Reuse::never;
  auto back = service_from_json(to_json(s));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, s);

  Service l4 = l7_rule();
  l4.mode = Mode::nat;
  const nlohmann::json j = to_json(l4);
  for (const char* field : {"host", "xff", "xff_trusted", "reuse"}) EXPECT_FALSE(j.contains(field));
}

TEST(L7Model, FieldsOfFullproxyAreRefusedOnL4Rules) {
  Service s = l7_rule("www.a.com");
  s.mode = Mode::fullnat;
  auto r = validate(s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "host");
  EXPECT_EQ(r.error().message, "host applies to --mode=fullproxy only");
  s.key.host.clear();
  s.reuse = Reuse::always;
  EXPECT_EQ(validate(s).error().field, "reuse");
}

TEST(L7Model, FullproxyNeedsTcpAndRefusesPpv2) {
  Service s = l7_rule();
  s.key.protocol = Protocol::udp;
  EXPECT_EQ(validate(s).error().field, "protocol");
  s = l7_rule();
  s.ppv2 = true;
  EXPECT_EQ(validate(s).error().field, "ppv2");
}

TEST(L7Model, HostsAndTrustedNetworksAreChecked) {
  for (const char* bad : {"a b", "-", ".a.com", "a..com", "UPPER.com", "a.com:80", "x/y"}) {
    Service s = l7_rule(bad);
    auto r = validate(s);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().field, "host") << bad;
  }
  Service s = l7_rule();
  s.xff_trusted = {"10.0.0.0/33"};
  auto r = validate(s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "xff_trusted[0]");
  s.xff_trusted = std::vector<std::string>(kMaxXffTrusted + 1, "10.0.0.1");
  EXPECT_EQ(validate(s).error().field, "xff_trusted");
}

TEST(L7Model, RulesShareAPortOnlyAsFullproxyRulesWithDistinctHosts) {
  Config cfg;
  cfg.services = {l7_rule(), l7_rule("www.a.com"), l7_rule("www.b.com")};
  EXPECT_TRUE(validate(cfg).ok());

  cfg.services.push_back(l7_rule("www.a.com"));
  auto dup = validate(cfg);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().field, "services[3]");

  Service l4 = l7_rule();
  l4.mode = Mode::nat;
  cfg.services = {l7_rule("www.a.com"), l4};
  auto mixed = validate(cfg);
  ASSERT_FALSE(mixed.ok());
  EXPECT_EQ(mixed.error().field, "services[1]");
  EXPECT_NE(mixed.error().message.find("cannot share 20.20.20.1:80/tcp"), std::string::npos)
      << mixed.error().message;
}

TEST(L7Model, HttpsNeedsAbsoluteCertAndKeyAndOnePortAgrees) {
  Service s = l7_rule("www.a.com");
  s.security = Security::https;
  EXPECT_EQ(validate(s).error().field, "tls_cert");
  s.tls_cert = "/etc/xlb/a.crt";
  EXPECT_EQ(validate(s).error().field, "tls_key");
  s.tls_key = "a.key";
  auto relative = validate(s);
  ASSERT_FALSE(relative.ok());
  EXPECT_EQ(relative.error().field, "tls_key");
  EXPECT_NE(relative.error().message.find("absolute path"), std::string::npos);
  s.tls_key = "/etc/xlb/a.key";
  ASSERT_TRUE(validate(s).ok()) << validate(s).error().message;

  // On the wire: paths only, and back.
  nlohmann::json j = to_json(s);
  EXPECT_EQ(j["security"], "https");
  EXPECT_EQ(j["tls_key"], "/etc/xlb/a.key");
  auto back = service_from_json(j);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, s);
  EXPECT_FALSE(to_json(l7_rule()).contains("security")) << "absent without TLS";

  Service plain = l7_rule();
  plain.tls_cert = "/etc/xlb/a.crt";
  EXPECT_EQ(validate(plain).error().field, "tls_cert");
  Service l4 = l7_rule();
  l4.mode = Mode::nat;
  l4.security = Security::https;
  EXPECT_EQ(validate(l4).error().field, "security");

  Config cfg;
  cfg.services = {s, l7_rule()};
  auto mixed = validate(cfg);
  ASSERT_FALSE(mixed.ok());
  EXPECT_EQ(mixed.error().field, "services[1]");
  EXPECT_NE(mixed.error().message.find("every host of a port is https, or none is"),
            std::string::npos)
      << mixed.error().message;
}

// e2ehttps: the client side as https, and the endpoint side's CA file (absolute), name (a host
// name) or insecure_backend (alone); none of them on other rules. It shares a port with https.
TEST(L7Model, E2eHttpsBackendVerificationSettings) {
  Service s = l7_rule("www.a.com");
  s.security = Security::e2ehttps;
  s.tls_cert = "/etc/xlb/a.crt";
  s.tls_key = "/etc/xlb/a.key";
  ASSERT_TRUE(validate(s).ok()) << "the system store and the endpoint's IP by default";
  s.backend_ca = "ca.pem";
  EXPECT_EQ(validate(s).error().field, "backend_ca");
  s.backend_ca = "/etc/xlb/ca.pem";
  s.backend_name = "api internal";
  EXPECT_EQ(validate(s).error().field, "backend_name");
  s.backend_name = "api.internal";
  ASSERT_TRUE(validate(s).ok()) << validate(s).error().message;
  auto back = service_from_json(to_json(s));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, s);

  s.insecure_backend = true;
  auto both = validate(s);
  ASSERT_FALSE(both.ok());
  EXPECT_EQ(both.error().field, "insecure_backend");
  s.backend_ca.clear();
  s.backend_name.clear();
  ASSERT_TRUE(validate(s).ok());
  EXPECT_EQ(to_json(s)["insecure_backend"], true);

  Service https = s;
  https.security = Security::https;
  auto not_e2e = validate(https);
  ASSERT_FALSE(not_e2e.ok());
  EXPECT_EQ(not_e2e.error().field, "insecure_backend");
  EXPECT_NE(not_e2e.error().message.find("applies to --security=e2ehttps only"), std::string::npos);
  https.insecure_backend = false;
  EXPECT_FALSE(to_json(https).contains("backend_ca")) << "https rules carry no endpoint side";
  Service l4 = l7_rule();
  l4.mode = Mode::nat;
  l4.backend_ca = "/etc/xlb/ca.pem";
  EXPECT_EQ(validate(l4).error().field, "backend_ca");

  Config cfg;
  https.key.host = "www.b.com";
  cfg.services = {s, https};
  EXPECT_TRUE(validate(cfg).ok()) << "both terminate TLS on the port";
}

TEST(L7Model, NormalizeHost) {
  EXPECT_EQ(normalize_host("WWW.A.COM"), "www.a.com");
  EXPECT_EQ(normalize_host("www.a.com:8080"), "www.a.com");
  EXPECT_EQ(normalize_host("www.a.com."), "www.a.com");
  EXPECT_EQ(normalize_host("[::1]:80"), "[::1]");
  EXPECT_EQ(normalize_host(""), "");
}

TEST(L7Model, Cidr) {
  auto ip = [](const char* text) { return parse_ip(text).value(); };
  auto c = parse_ip_cidr("10.1.2.3/8");
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->contains(ip("10.0.0.1")));
  EXPECT_FALSE(c->contains(ip("11.0.0.1")));
  auto host = parse_ip_cidr("192.0.2.7");
  ASSERT_TRUE(host);
  EXPECT_TRUE(host->contains(ip("192.0.2.7")));
  EXPECT_FALSE(host->contains(ip("192.0.2.8")));
  EXPECT_TRUE(parse_ip_cidr("0.0.0.0/0")->contains(ip("255.255.255.255")));
  EXPECT_FALSE(parse_ip_cidr("0.0.0.0/0")->contains(ip("2001:db8::1"))) << "families never mix";
  for (const char* bad : {"10.0.0.0/", "10.0.0.0/33", "10.0.0/8", "10.0.0.0/x", "10.0.0.0/008",
                          "2001:db8::/129", "2001:db8::/064", "[2001:db8::]/32"})
    EXPECT_FALSE(parse_ip_cidr(bad)) << bad;
}

TEST(L7Model, Ipv6Cidr) {
  auto ip = [](const char* text) { return parse_ip(text).value(); };
  auto c = parse_ip_cidr("2001:db8:ff::1/33");
  ASSERT_TRUE(c);
  EXPECT_EQ(format_ip(c->network), "2001:db8::") << "host bits cleared";
  EXPECT_TRUE(c->contains(ip("2001:db8:7fff::5")));
  EXPECT_FALSE(c->contains(ip("2001:db8:8000::5"))) << "bit 33 differs";
  EXPECT_FALSE(c->contains(ip("32.1.13.184"))) << "the IPv4 address of the same first word";
  auto host = parse_ip_cidr("2001:db8::7");
  ASSERT_TRUE(host);
  EXPECT_EQ(host->prefix, 128);
  EXPECT_TRUE(host->contains(ip("2001:db8::7")));
  EXPECT_FALSE(host->contains(ip("2001:db8::8")));
  EXPECT_TRUE(parse_ip_cidr("::/0")->contains(ip("ff02::1")));
}

}  // namespace
}  // namespace xlb::model
