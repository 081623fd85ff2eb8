// xlb-proxy's per-request balancing and routing: selections over the endpoints health leaves
// up, the client's address as the key of hash/maglev/persist, Host routing with a default.
#include <gtest/gtest.h>

#include <map>

#include "proxy/balancer.h"
#include "proxy/runtime.h"

namespace xlb::proxy {
namespace {

model::Service balanced_rule(model::Select select, std::string host = "") {
  model::Service s;
  s.key = {"20.20.20.1", model::Protocol::tcp, 80, std::move(host)};
  s.mode = model::Mode::fullproxy;
  s.select = select;
  s.endpoints = {{"10.1.2.10", 8080, 1, model::EndpointState::up},
                 {"10.1.2.11", 8080, 1, model::EndpointState::up},
                 {"10.1.2.12", 8080, 1, model::EndpointState::down}};
  return s;
}

std::map<size_t, int> spread(RuleBalancer& b, int requests, const std::string& client = "c") {
  std::map<size_t, int> seen;
  const auto now = std::chrono::steady_clock::now();
  for (int i = 0; i < requests; ++i) ++seen[*b.pick(client, now)];
  return seen;
}

TEST(ProxyBalancer, RoundRobinSpreadsOneClientsRequestsOverUpEndpoints) {
  RuleBalancer rr(balanced_rule(model::Select::rr));
  auto seen = spread(rr, 100);
  EXPECT_EQ(seen[0], 50);
  EXPECT_EQ(seen[1], 50);
  EXPECT_FALSE(seen.contains(2)) << "a down endpoint takes no request";
}

TEST(ProxyBalancer, HashMaglevAndPersistKeyOnTheClient) {
  for (auto select : {model::Select::hash, model::Select::maglev, model::Select::persist}) {
    RuleBalancer b(balanced_rule(select));
    EXPECT_EQ(spread(b, 20, "10.1.1.10").size(), 1u) << to_string(select);
    std::map<size_t, int> clients;
    const auto now = std::chrono::steady_clock::now();
    for (int i = 0; i < 200; ++i) ++clients[*b.pick("10.1.1." + std::to_string(i), now)];
    EXPECT_EQ(clients.size(), 2u) << to_string(select) << ": many clients use both";
  }
}

TEST(ProxyBalancer, LeastConnectionsAndNoEndpoint) {
  RuleBalancer lc(balanced_rule(model::Select::lc));
  const auto now = std::chrono::steady_clock::now();
  const size_t first = *lc.pick("c", now);
  lc.started(first);
  const size_t second = *lc.pick("c", now);
  EXPECT_NE(first, second) << "the busy endpoint is avoided";
  model::Service none = balanced_rule(model::Select::rr);
  for (auto& ep : none.endpoints) ep.state = model::EndpointState::draining;
  RuleBalancer drained(none);
  EXPECT_FALSE(drained.pick("c", now).has_value());
}

TEST(ProxyRouting, HostThenDefaultThenNothing) {
  StatsRegistry registry;
  ProxyConfig config;
  config.rules = {balanced_rule(model::Select::rr, "www.a.com"), balanced_rule(model::Select::rr)};
  config.rules.push_back(balanced_rule(model::Select::rr, "only.b.com"));
  config.rules.back().key.port = 81;
  config.rules.back().xff_trusted = {"10.1.1.0/24"};
  auto rt = build_runtime(config, registry);
  const IpAddress vip = parse_ip("20.20.20.1").value();
  const auto on = [&vip](uint16_t port) { return ip_port_key(vip, port); };
  EXPECT_EQ(rt->route(on(80), "www.a.com")->service.key.host, "www.a.com");
  EXPECT_EQ(rt->route(on(80), "other")->service.key.host, "");
  EXPECT_EQ(rt->route(on(81), "other"), nullptr) << "no default on :81: 404";
  EXPECT_EQ(rt->route(on(82), "www.a.com"), nullptr);
  EXPECT_TRUE(rt->trusts_on_listener(on(81), parse_ip("10.1.1.10").value()));
  EXPECT_FALSE(rt->trusts_on_listener(on(80), parse_ip("10.1.1.10").value()));
  EXPECT_FALSE(rt->trusts_on_listener(on(81), parse_ip("10.1.2.10").value()));
  // A rule's counters outlive a new configuration with the same rule.
  rt->rules[0].stats->requests += 3;
  auto again = build_runtime(config, registry);
  EXPECT_EQ(again->rules[0].stats->requests.load(), 3u);
}

// --xff-trusted holds IPv6 networks too: a client an upstream proxy names in PPv2 may be IPv6,
// and only a trusted one keeps its X-Forwarded-For chain.
TEST(ProxyRouting, TrustCoversIpv6ClientsAndNeverCrossesFamilies) {
  StatsRegistry registry;
  ProxyConfig config;
  config.rules = {balanced_rule(model::Select::rr)};
  config.rules[0].xff_trusted = {"2001:db8:aa::/48", "10.1.1.0/24"};
  auto rt = build_runtime(config, registry);
  const RuntimeRule& rule = rt->rules[0];
  EXPECT_TRUE(rule.trusts(parse_ip("2001:db8:aa:1::9").value()));
  EXPECT_FALSE(rule.trusts(parse_ip("2001:db8:ab::9").value()));
  EXPECT_TRUE(rule.trusts(parse_ip("10.1.1.7").value()));
  EXPECT_FALSE(rule.trusts(parse_ip("::ffff:10.1.1.7").value())) << "IPv6 is never IPv4";
  EXPECT_FALSE(rule.trusts(IpAddress{{}, 0})) << "an unparsed source is trusted by nothing";
}

}  // namespace
}  // namespace xlb::proxy
