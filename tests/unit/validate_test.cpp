#include "model/validate.h"

#include <gtest/gtest.h>

#include "common/ip.h"

namespace xlb::model {
namespace {

Service valid_rule() {
  Service s;
  s.key = {"10.0.0.100", Protocol::tcp, 80};
  s.endpoints = {{"10.0.1.2", 8080, 1, EndpointState::up},
                 {"10.0.1.3", 8080, 5, EndpointState::up}};
  return s;
}

// Expects `svc` to be refused on `field` with a message that names the field (or `message`).
void expect_invalid(const Service& svc, const std::string& field, const std::string& message = "") {
  auto r = validate(svc);
  ASSERT_FALSE(r.ok()) << "expected an error on " << field;
  EXPECT_EQ(r.error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(r.error().field, field);
  if (message.empty()) {
    EXPECT_NE(r.error().message.find(field), std::string::npos) << r.error().message;
  } else {
    EXPECT_EQ(r.error().message, message);
  }
}

TEST(Validate, AcceptsAValidRule) {
  EXPECT_TRUE(validate(valid_rule()).ok());
  Service s = valid_rule();
  s.name = "web-1.prod_a";
  s.inactive_timeout_s = 86400;
  s.ppv2 = true;
  EXPECT_TRUE(validate(s).ok());
  s.ppv2 = false;
  s.mode = Mode::dsr;
  for (auto& ep : s.endpoints) ep.port = 80;
  EXPECT_TRUE(validate(s).ok());
}

TEST(Validate, Vip) {
  for (const char* bad :
       {"", "10.0.0", "0.0.0.0", "224.0.0.1", "239.255.255.255", "255.255.255.255", "not-an-ip",
        "10.0.0.256", "::", "ff02::1", "fe80::1", "::ffff:10.0.0.1", "2001:db8::1/128",
        "[2001:db8::1]", "2001:db8::1%eth0", "2001:db8:::1"}) {
    Service s = valid_rule();
    s.key.vip = bad;
    expect_invalid(s, "vip",
                   std::string("vip must be a unicast IPv4 or IPv6 address such as 10.0.0.100 or "
                               "2001:db8::100 (not 0.0.0.0/::, multicast, broadcast, link-local "
                               "or IPv4-mapped), got \"") +
                       bad + "\"");
  }
}

Service valid_v6_rule() {
  Service s;
  s.key = {"2001:db8::100", Protocol::tcp, 80};
  s.endpoints = {{"2001:db8:1::10", 8080, 1, EndpointState::up},
                 {"2001:db8:1::11", 8080, 1, EndpointState::up}};
  return s;
}

Service nat64_rule() {
  Service s;
  s.key = {"2001:db8::200", Protocol::tcp, 80};
  s.mode = Mode::fullnat;
  s.endpoints = {{"10.0.1.2", 8080, 1, EndpointState::up},
                 {"10.0.1.3", 8080, 1, EndpointState::up}};
  return s;
}

TEST(Validate, AcceptsIpv6RulesInEveryL4Mode) {
  Service s = valid_v6_rule();
  EXPECT_TRUE(validate(s).ok());
  s.mode = Mode::fullnat;
  s.snat = {"2001:db8:1::1"};
  EXPECT_TRUE(validate(s).ok());
  s.snat.clear();
  s.mode = Mode::dsr;
  for (auto& ep : s.endpoints) ep.port = 80;
  EXPECT_TRUE(validate(s).ok());
}

// Families: an IPv4 vip's endpoints and snat are IPv4; an IPv6 vip's endpoints share one family
// (IPv6, or IPv4 for NAT64) and its snat addresses are theirs. Refusals name the field.
TEST(Validate, MixedFamiliesAreRefusedNamingTheField) {
  Service s = valid_v6_rule();
  s.mode = Mode::fullnat;
  s.endpoints[1].ip = "10.0.1.3";
  expect_invalid(s, "endpoints[1].ip",
                 "endpoints[1].ip 10.0.1.3 is IPv4 but endpoints[0] 2001:db8:1::10 is IPv6: a "
                 "rule's endpoints and snat share one family (an IPv6 vip's are all IPv6, or all "
                 "IPv4 for NAT64)");
  s = nat64_rule();
  s.endpoints[1].ip = "2001:db8:1::11";
  expect_invalid(s, "endpoints[1].ip");
  s = valid_rule();
  s.endpoints[0].ip = "2001:db8:1::10";
  expect_invalid(s, "endpoints[0].ip",
                 "endpoints[0].ip 2001:db8:1::10 is IPv6 but the vip 10.0.0.100 is IPv4: an IPv4 "
                 "vip's endpoints and snat are IPv4 (IPv4 clients to IPv6 endpoints, NAT46, is not "
                 "supported)");
  s = valid_v6_rule();
  s.mode = Mode::fullnat;
  s.snat = {"2001:db8:1::1", "10.0.0.250"};
  expect_invalid(s, "snat[1]");
  s = valid_rule();
  s.mode = Mode::fullnat;
  s.snat = {"2001:db8:1::1"};
  expect_invalid(s, "snat[0]");
}

// NAT64: an IPv6 vip with IPv4 endpoints is FullNAT, its --snat IPv4; every other mode is
// refused on the mode field.
TEST(Validate, Nat64IsFullnatWithIpv4Snat) {
  Service s = nat64_rule();
  EXPECT_TRUE(is_nat64(s));
  EXPECT_EQ(endpoint_family(s), XLB_AF_INET);
  EXPECT_TRUE(validate(s).ok());
  s.snat = {"10.0.1.1"};
  s.ppv2 = true;
  EXPECT_TRUE(validate(s).ok());
  s.snat = {"2001:db8:1::1"};
  expect_invalid(s, "snat[0]",
                 "snat[0] 2001:db8:1::1 is IPv6 but endpoints[0] 10.0.1.2 is IPv4: a rule's "
                 "endpoints and snat share one family (an IPv6 vip's are all IPv6, or all IPv4 for "
                 "NAT64)");
  s.snat.clear();
  s.mode = Mode::nat;
  expect_invalid(s, "mode",
                 "mode default cannot serve an IPv6 vip from IPv4 endpoints: that is NAT64, which "
                 "needs --mode=fullnat");
  s.mode = Mode::dsr;
  for (auto& ep : s.endpoints) ep.port = 80;
  expect_invalid(s, "mode");
  s.mode = Mode::fullproxy;
  expect_invalid(s, "mode");
  EXPECT_FALSE(is_nat64(valid_rule()));
  EXPECT_FALSE(is_nat64(valid_v6_rule()));
}

// The VIP table has no family: an IPv6 VIP spelling an IPv4 one in its first word is refused.
TEST(Validate, Ipv6VipThatWouldShareAnIpv4VipsEntryIsRefused) {
  Service s = valid_v6_rule();
  s.key.vip = "2001:db8::";
  expect_invalid(s, "vip",
                 "vip 2001:db8:: is a subnet-router anycast address (its last 96 bits are zero), "
                 "which the datapath cannot tell from an IPv4 VIP: choose another");
  s.key.vip = "2001:db8::1";
  EXPECT_TRUE(validate(s).ok());
}

// fullproxy serves IPv6 VIPs (xlb-proxy's listener is dual-stack); the rule's family is still
// one: an IPv4 endpoint behind an IPv6 fullproxy VIP is refused like any mixed rule.
TEST(Validate, FullproxyOnIpv6VipsIsAcceptedInOneFamily) {
  Service s = valid_v6_rule();
  s.mode = Mode::fullproxy;
  s.xff_trusted = {"2001:db8:c::/64"};
  EXPECT_TRUE(validate(s).ok()) << validate(s).error().message;
  s.endpoints[1].ip = "10.0.1.3";
  expect_invalid(s, "endpoints[1].ip");
}

TEST(Validate, DuplicateIpv6EndpointsAreNamedWithBrackets) {
  Service s = valid_v6_rule();
  s.endpoints[1].ip = s.endpoints[0].ip;
  expect_invalid(s, "endpoints[1]",
                 "endpoints[1] duplicates endpoints[0] ([2001:db8:1::10]:8080): list each "
                 "ip:port once");
}

TEST(Validate, Port) {
  Service s = valid_rule();
  s.key.port = 0;
  expect_invalid(s, "port", "port must be an integer from 1 to 65535, got 0");
}

TEST(Validate, EndpointsNonEmptyAndAtMost32) {
  Service s = valid_rule();
  s.endpoints.clear();
  expect_invalid(s, "endpoints", "endpoints must list at least one endpoint");
  for (int i = 0; i < 33; ++i) {
    s.endpoints.push_back({"10.0.1." + std::to_string(i + 1), 80, 1, EndpointState::up});
  }
  expect_invalid(s, "endpoints", "endpoints may list at most 32 endpoints, got 33");
  s.endpoints.pop_back();
  EXPECT_TRUE(validate(s).ok());
}

TEST(Validate, EndpointIpPortWeight) {
  Service s = valid_rule();
  s.endpoints[1].ip = "10.0.1";
  expect_invalid(s, "endpoints[1].ip");
  s = valid_rule();
  s.endpoints[1].port = 0;
  expect_invalid(s, "endpoints[1].port",
                 "endpoints[1].port must be an integer from 1 to 65535, got 0");
  s = valid_rule();
  s.endpoints[0].weight = 0;
  expect_invalid(s, "endpoints[0].weight",
                 "endpoints[0].weight must be an integer from 1 to 255, got 0");
}

TEST(Validate, DuplicateEndpoints) {
  Service s = valid_rule();
  s.endpoints.push_back(s.endpoints[0]);
  s.endpoints.back().weight = 9;  // weight does not make it a different endpoint
  expect_invalid(s, "endpoints[2]",
                 "endpoints[2] duplicates endpoints[0] (10.0.1.2:8080): list each ip:port once");
  s.endpoints.back().port = 8081;  // same ip, other port: allowed
  EXPECT_TRUE(validate(s).ok());
}

TEST(Validate, Name) {
  Service s = valid_rule();
  s.name = "has space";
  expect_invalid(s, "name");
  s.name = std::string(64, 'a');
  expect_invalid(s, "name");
  s.name = std::string(63, 'a');
  EXPECT_TRUE(validate(s).ok());
  s.name = std::string(5000, 'b');  // echoed back shortened
  EXPECT_LT(validate(s).error().message.size(), 250u);
}

TEST(Validate, InactiveTimeout) {
  Service s = valid_rule();
  s.inactive_timeout_s = 86401;
  expect_invalid(s, "inactive_timeout",
                 "inactive_timeout must be an integer from 0 to 86400, got 86401");
}

TEST(Validate, DsrCannotTranslatePorts) {
  Service s = valid_rule();
  s.mode = Mode::dsr;
  s.endpoints[0].port = 80;  // second endpoint still 8080
  expect_invalid(s, "endpoints[1].port",
                 "DSR cannot translate ports (80 -> 8080): use the same port or --mode=fullnat");
  s.mode = Mode::fullnat;
  EXPECT_TRUE(validate(s).ok());
}

TEST(Validate, Ppv2OnlyWithTcp) {
  Service s = valid_rule();
  s.key.protocol = Protocol::udp;
  s.ppv2 = true;
  expect_invalid(s, "ppv2");
}

Service fullnat_rule(std::vector<std::string> snat) {
  Service s = valid_rule();
  s.mode = Mode::fullnat;
  s.snat = std::move(snat);
  return s;
}

TEST(Validate, SnatListsUpToFourAddressesForFullnatOnly) {
  EXPECT_TRUE(validate(fullnat_rule({"10.0.0.250"})).ok());
  EXPECT_TRUE(validate(fullnat_rule({"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"})).ok());
  expect_invalid(fullnat_rule({"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"}), "snat",
                 "snat may list at most 4 addresses");
  expect_invalid(fullnat_rule({"10.0.0.1", "224.0.0.1"}), "snat[1]");
  expect_invalid(fullnat_rule({"fe80::1"}), "snat[0]");
  for (Mode other : {Mode::nat, Mode::dsr}) {
    Service s = fullnat_rule({"10.0.0.250"});
    s.mode = other;
    for (auto& ep : s.endpoints) ep.port = 80;
    expect_invalid(s, "snat", "snat applies to --mode=fullnat only");
  }
}

TEST(Validate, DsrIpipOnlyWithDsr) {
  Service s = valid_rule();
  s.dsr_ipip = true;
  expect_invalid(s, "dsr_ipip", "dsr_ipip applies to --mode=dsr only");
  s.mode = Mode::fullnat;
  expect_invalid(s, "dsr_ipip");
  s.mode = Mode::dsr;
  for (auto& ep : s.endpoints) ep.port = 80;
  EXPECT_TRUE(validate(s).ok());
}

TEST(Validate, Ppv2IsRefusedWithDsr) {
  Service s = valid_rule();
  s.mode = Mode::dsr;
  for (auto& ep : s.endpoints) ep.port = 80;
  s.ppv2 = true;
  expect_invalid(s, "ppv2");
  EXPECT_NE(validate(s).error().message.find("dsr"), std::string::npos);
}

TEST(Validate, PersistTimeout) {
  Service s = valid_rule();
  s.persist_timeout_s = 86400;
  EXPECT_TRUE(validate(s).ok());
  s.persist_timeout_s = 86401;
  expect_invalid(s, "persist_timeout",
                 "persist_timeout must be an integer from 0 to 86400, got 86401");
}

TEST(Validate, MaglevSizeIsZeroOrAPrimeFrom101To65537) {
  Service s = valid_rule();
  s.select = Select::maglev;
  for (uint32_t ok : {0u, 101u, 16381u, 65537u}) {
    s.maglev_size = ok;
    EXPECT_TRUE(validate(s).ok()) << ok;
  }
  // 97: prime but too small; 65539: prime but larger than the datapath's table.
  for (uint32_t bad : {1u, 2u, 97u, 100u, 16383u, 65536u, 65539u, 4294967291u}) {
    s.maglev_size = bad;
    expect_invalid(s, "maglev_size",
                   "maglev_size must be a prime from 101 to 65537 (e.g. 16381 or 65537), got " +
                       std::to_string(bad));
  }
}

TEST(Validate, ConfigPrefixesFieldsAndRefusesDuplicateRules) {
  Config cfg;
  cfg.services = {valid_rule(), valid_rule()};
  cfg.services[1].key.port = 443;
  EXPECT_TRUE(validate(cfg).ok());

  cfg.services[1].endpoints[0].weight = 0;
  auto r = validate(cfg);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "services[1].endpoints[0].weight");
  EXPECT_EQ(r.error().message.rfind("services[1].endpoints[0].weight must be", 0), 0u);

  cfg.services[1].endpoints[0].weight = 1;
  cfg.services[1].snat = {"10.0.0.250"};
  EXPECT_EQ(validate(cfg).error().field, "services[1].snat");
  EXPECT_EQ(validate(cfg).error().message, "services[1].snat applies to --mode=fullnat only");

  cfg.services[1] = valid_rule();
  r = validate(cfg);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "services[1]");
  EXPECT_EQ(r.error().message,
            "services[1] duplicates services[0] (10.0.0.100:80/tcp): a rule is identified by vip, "
            "protocol and port");
}

}  // namespace
}  // namespace xlb::model
