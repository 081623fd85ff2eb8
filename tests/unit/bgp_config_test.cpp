// BGP settings: strict JSON with the field named in every refusal, no password shown back, the
// state file round trip, gobgpd's configuration text, and reading the gobgp CLI's JSON.
#include "bgp/bgp_config.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "bgp/gobgp_cli_speaker.h"
#include "bgp/gobgpd_config.h"

namespace xlb::bgp {
namespace {

using nlohmann::json;

TEST(BgpConfig, NeighbourDefaultsAndRefusalsNameTheField) {
  auto n = bgp_neighbor_from_json(json{{"address", "10.0.1.1"}, {"remote_as", 65000}});
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->remote_port, 179);
  EXPECT_EQ(n->hold_time_s, kDefaultHoldTimeS);
  EXPECT_TRUE(n->password.empty());

  struct Case {
    json body;
    std::string field;
  };
  for (const auto& c : {
           Case{{{"address", "10.0.1"}, {"remote_as", 1}}, "address"},
           Case{{{"address", "10.0.1.1"}, {"remote_as", 0}}, "remote_as"},
           Case{{{"address", "10.0.1.1"}}, "remote_as"},
           Case{{{"address", "10.0.1.1"}, {"remote_as", 1}, {"remote_port", 70000}}, "remote_port"},
           Case{{{"address", "10.0.1.1"}, {"remote_as", 1}, {"hold_time", 2}}, "hold_time"},
           Case{{{"address", "10.0.1.1"}, {"remote_as", 1}, {"password", "a\"b"}}, "password"},
           Case{{{"address", "10.0.1.1"}, {"remote_as", 1}, {"colour", "red"}}, "colour"},
       }) {
    auto r = bgp_neighbor_from_json(c.body);
    ASSERT_FALSE(r.ok()) << c.body.dump();
    EXPECT_EQ(r.error().field, c.field) << r.error().message;
    EXPECT_EQ(r.error().code, ErrorCode::invalid_argument);
  }
  EXPECT_EQ(bgp_global_from_json(json{{"local_as", 65001}, {"router_id", "x"}}).error().field,
            "router_id");
}

// BGP sessions over IPv6: a global IPv6 neighbour, kept in RFC 5952 form; a link-local one (it
// would need an interface), an IPv4-mapped or multicast one is refused naming the field.
TEST(BgpConfig, Ipv6NeighboursAreGlobalAndCanonical) {
  auto n = bgp_neighbor_from_json(json{{"address", "2001:DB8:0:0::1"}, {"remote_as", 65000}});
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_EQ(n->address, "2001:db8::1");
  for (const char* bad : {"fe80::1", "::ffff:10.0.1.1", "ff02::1", "::", "2001:db8::1/64"}) {
    auto r = bgp_neighbor_from_json(json{{"address", bad}, {"remote_as", 65000}});
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().field, "address") << r.error().message;
  }
}

TEST(BgpConfig, PasswordsAreKeptInTheStateFileButNeverShown) {
  BgpConfig cfg;
  cfg.global = BgpGlobal{65001, "10.0.1.11"};
  BgpNeighbor n;
  n.address = "10.0.1.1";
  n.remote_as = 65000;
  n.password = "s3cret";
  n.hold_time_s = 3;
  cfg.neighbors.push_back(n);
  auto back = bgp_config_from_file_text(bgp_config_file_text(cfg));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, cfg);
  const std::string shown = to_public_json(n).dump();
  EXPECT_EQ(shown.find("s3cret"), std::string::npos);
  EXPECT_TRUE(to_public_json(n).at("password_set").get<bool>());
}

TEST(GobgpdConfig, AcceptNothingAndEachNeighboursTimersAndKey) {
  BgpConfig cfg;
  EXPECT_EQ(gobgpd_config_text(cfg), "") << "no global: no gobgpd";
  cfg.global = BgpGlobal{65001, "10.0.1.11"};
  BgpNeighbor n;
  n.address = "10.0.1.1";
  n.remote_as = 65000;
  n.remote_port = 1179;
  n.hold_time_s = 3;
  n.password = "s3cret";
  cfg.neighbors.push_back(n);
  const std::string text = gobgpd_config_text(cfg);
  for (const char* want :
       {"as = 65001", "router-id = \"10.0.1.11\"", "port = 179",
        "import-policy-list = [\"xlb-accept-nothing\"]", "route-disposition = \"reject-route\"",
        "neighbor-info-list = [\"0.0.0.0/0\", \"::/0\"]", "neighbor-address = \"10.0.1.1\"",
        "peer-as = 65000", "auth-password = \"s3cret\"", "hold-time = 3", "keepalive-interval = 1",
        "remote-port = 1179", "idle-hold-time-after-reset = 1", "afi-safi-name = \"ipv4-unicast\"",
        "afi-safi-name = \"ipv6-unicast\""}) {
    EXPECT_NE(text.find(want), std::string::npos) << want << "\n" << text;
  }
}

// gobgpd's neighbour for an IPv6 session: its address as written, IPv6 unicast only (an IPv4
// route has no IPv4 next hop to carry there); an IPv4 session beside it keeps both families.
TEST(GobgpdConfig, AnIpv6SessionCarriesIpv6RoutesOnly) {
  BgpConfig cfg;
  cfg.global = BgpGlobal{65001, "10.0.1.11"};
  BgpNeighbor v4, v6;
  v4.address = "10.0.1.1";
  v4.remote_as = 65000;
  v6.address = "2001:db8:1::1";
  v6.remote_as = 65000;
  cfg.neighbors = {v4, v6};
  const std::string text = gobgpd_config_text(cfg);
  const size_t v6_block = text.find("neighbor-address = \"2001:db8:1::1\"");
  ASSERT_NE(v6_block, std::string::npos) << text;
  const size_t v4_block = text.find("neighbor-address = \"10.0.1.1\"");
  ASSERT_LT(v4_block, v6_block) << text;
  const std::string v4_text = text.substr(v4_block, v6_block - v4_block);
  const std::string v6_text = text.substr(v6_block);
  EXPECT_NE(v4_text.find("afi-safi-name = \"ipv4-unicast\""), std::string::npos) << v4_text;
  EXPECT_NE(v4_text.find("afi-safi-name = \"ipv6-unicast\""), std::string::npos) << v4_text;
  EXPECT_NE(v6_text.find("afi-safi-name = \"ipv6-unicast\""), std::string::npos) << v6_text;
  EXPECT_EQ(v6_text.find("ipv4-unicast"), std::string::npos) << v6_text;
}

// The gobgp CLI's address family follows the prefix: IPv6 /128 routes go in ipv6 unicast.
TEST(GobgpCli, RibArgumentsNameTheFamilyOfThePrefix) {
  using Args = std::vector<std::string>;
  EXPECT_EQ(gobgp_rib_args("add", "10.0.0.100/32", 10),
            (Args{"global", "rib", "add", "10.0.0.100/32", "-a", "ipv4", "med", "10"}));
  EXPECT_EQ(gobgp_rib_args("add", "2001:db8::100/128", 100),
            (Args{"global", "rib", "add", "2001:db8::100/128", "-a", "ipv6", "med", "100"}));
  EXPECT_EQ(gobgp_rib_args("del", "2001:db8::100/128", std::nullopt),
            (Args{"global", "rib", "del", "2001:db8::100/128", "-a", "ipv6"}));
}

TEST(GobgpCliJson, PeersStatesUptimeAndAdvertised) {
  const std::string listed = R"([
    {"conf":{"neighbor_address":"10.0.1.1","peer_asn":65000},
     "state":{"session_state":6},"timers":{"state":{"uptime":{"seconds":1000}}}},
    {"conf":{"neighbor_address":"10.0.1.2","peer_asn":65002},"state":{"session_state":3}}])";
  auto peers = peers_from_gobgp_json(listed, 1042);
  ASSERT_TRUE(peers.ok());
  ASSERT_EQ(peers->size(), 2u);
  EXPECT_EQ((*peers)[0].address, "10.0.1.1");
  EXPECT_EQ((*peers)[0].state, "Established");
  EXPECT_EQ((*peers)[0].uptime_s, 42u);
  EXPECT_EQ((*peers)[1].state, "Active");
  EXPECT_EQ((*peers)[1].remote_as, 65002u);
  EXPECT_FALSE((*peers)[1].uptime_s.has_value());
  EXPECT_TRUE(peers_from_gobgp_json("", 0)->empty());
  EXPECT_FALSE(peers_from_gobgp_json("{oops", 0).ok());
  EXPECT_FALSE(peers_from_gobgp_json(R"([{"state":{"session_state":"up"}}])", 0).ok());
  EXPECT_EQ(advertised_from_gobgp_json(
                R"({"afi_safis":[{"state":{"advertised":2}},{"state":{"advertised":1}}]})"),
            3u);
}

}  // namespace
}  // namespace xlb::bgp
