// The API's read routes against a fake StatusSource, no kernel: every answer comes from the
// status source (the reconciler behind the API holds no rule at all), rendered as the wire
// expects, and a status read that fails answers with its error code's HTTP status.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>

#include <cstring>
#include <thread>

#include "api/routes.h"
#include "cluster/fake/fake_peer_link.h"
#include "common/ip.h"
#include "ct_test_key.h"
#include "fake_status.h"
#include "mem_store.h"

namespace xlb::api {
namespace {

using nlohmann::json;

class ApiRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServiceStatus web;
    web.service.key = {"10.0.0.100", model::Protocol::tcp, 80};
    web.service.name = "web";
    web.id = 3;
    web.counter.packets = 12;
    EndpointStatus ep;
    ep.endpoint = {"10.0.1.2", 8080, 1, model::EndpointState::up};
    ep.counter.packets = 5;
    ep.health.emplace().state = health::TargetState::down;
    web.endpoints = {ep};
    status_.rule_rows = {web};
    status_.names = {{3, "web"}};
    status_.managed = {"veth-a", "veth-b"};

    xlb_ct_entry e;
    std::memset(&e, 0, sizeof e);
    e.dir = XLB_DIR_ORIG;
    e.state = XLB_CT_EST;
    e.svc_id = 3;
    e.flags = XLB_CT_F_DNAT;
    e.nat_daddr = *parse_ipv4("10.0.1.2");
    e.nat_dport = htons(8080);
    e.packets = 4;
    status_.flows.add_flow(ct_key("192.168.1.10", 40000, "10.0.0.100", 80), e);

    add_health_routes(server_, ctx_);
    add_loadbalancer_routes(server_, ctx_);
    add_conntrack_routes(server_, ctx_);
    add_stats_routes(server_, ctx_);
    add_endpoint_probe_routes(server_, ctx_);
    add_metrics_routes(server_, ctx_);
    add_ha_routes(server_, ctx_);
    add_cluster_routes(server_, ctx_);
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::yield();
  }
  void TearDown() override {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }

  // The answer's status and JSON body.
  std::pair<int, json> get(const std::string& path) {
    httplib::Client client("127.0.0.1", port_);
    auto res = client.Get(path);
    if (!res) return {0, json()};
    return {res->status, json::parse(res->body, nullptr, false)};
  }
  std::pair<int, json> put(const std::string& path, const std::string& body) {
    httplib::Client client("127.0.0.1", port_);
    auto res = client.Put(path, body, "application/json");
    if (!res) return {0, json()};
    return {res->status, json::parse(res->body, nullptr, false)};
  }

  struct SettableStoreStatus final : StoreStatusSource {
    StoreStatus store_status(bool with_nodes) const override {
      StoreStatus out = status;
      if (!with_nodes) out.nodes.clear();
      return out;
    }
    StoreStatus status;
  };

  struct QuietAnnouncer final : cluster::Announcer {
    void announce() override { ++announced; }
    void cancel() override {}
    int announced = 0;
  };

  FakeStatus status_;
  FakeDatapath unused_dp_;  // the reconciler's: the routes must not read through it
  MemStore store_;
  Reconciler reconciler_{unused_dp_, store_};
  FakeDatapath ha_dp_;  // the HA controller's: where the states land
  cluster::FakePeerLink peers_;
  QuietAnnouncer announcer_;
  cluster::HaController ha_{ha_dp_, peers_, announcer_, {.cluster = true, .self = 0}};
  ApiContext ctx_{reconciler_, status_, ha_};
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

TEST_F(ApiRoutesTest, RulesComeFromTheStatusSource) {
  auto [code, body] = get("/api/v1/loadbalancers");
  ASSERT_EQ(code, 200) << body;
  ASSERT_EQ(body["loadbalancers"].size(), 1u) << body;
  const json& rule = body["loadbalancers"][0];
  EXPECT_EQ(rule["name"], "web");
  EXPECT_EQ(rule["id"], 3);
  EXPECT_EQ(rule["counters"]["packets"], 12);
  EXPECT_EQ(rule["endpoints"][0]["counters"]["packets"], 5);
  EXPECT_EQ(rule["endpoints"][0]["health"]["state"], "down");

  auto [one, single] = get("/api/v1/loadbalancers/10.0.0.100/tcp/80");
  EXPECT_EQ(one, 200);
  EXPECT_EQ(single["name"], "web");
  auto [missing, error] = get("/api/v1/loadbalancers/10.0.0.100/tcp/81");
  EXPECT_EQ(missing, 404);
  EXPECT_EQ(error["error"]["code"], "not_found");
}

// A fullproxy rule's host is the fourth segment of its path, compared normalized.
TEST_F(ApiRoutesTest, AFullproxyRuleIsFoundByItsHost) {
  ServiceStatus site;
  site.service.key = {"10.0.0.100", model::Protocol::tcp, 8080, "www.a.com"};
  site.service.mode = model::Mode::fullproxy;
  site.service.name = "site-a";
  status_.rule_rows.push_back(site);
  auto [code, body] = get("/api/v1/loadbalancers/10.0.0.100/tcp/8080/WWW.A.com:8080");
  ASSERT_EQ(code, 200) << body;
  EXPECT_EQ(body["name"], "site-a");
  EXPECT_EQ(body["host"], "www.a.com");
  EXPECT_EQ(get("/api/v1/loadbalancers/10.0.0.100/tcp/8080").first, 404) << "no default rule";
  EXPECT_EQ(get("/api/v1/loadbalancers/10.0.0.100/tcp/8080/www.b.com").first, 404);
  EXPECT_EQ(get("/api/v1/loadbalancers/10.0.0.100/tcp/8080/:80").first, 400) << "an empty host";
}

// GET /api/v1/cluster and the stale marks of listings, from the store's status.
TEST_F(ApiRoutesTest, ClusterStatusAndStaleListings) {
  auto [code, file] = get("/api/v1/cluster");
  ASSERT_EQ(code, 200);
  EXPECT_EQ(file["store"], "file");
  EXPECT_FALSE(get("/api/v1/loadbalancers").second.contains("stale")) << "the file store";

  SettableStoreStatus etcd;
  etcd.status = StoreStatus{
      .kind = "etcd",
      .location = "etcd://10.0.9.5:2379",
      .prefix = "/xlb/v1/",
      .node_name = "lb-a",
      .endpoint = "10.0.9.5:2379",
      .applied_revision = 41,
      .seen_revision = 42,
      .refused_revision = 42,
      .refused_reason = "too many rules (max 2)",
      .nodes_known = true,
      .nodes = {{"lb-a", true, 5, 42, "too many rules (max 2)"}, {"lb-b", false, 6, 0, ""}}};
  ctx_.store_status = &etcd;
  auto [ok, cluster] = get("/api/v1/cluster");
  ASSERT_EQ(ok, 200);
  EXPECT_EQ(cluster["store"], "etcd");
  EXPECT_EQ(cluster["node"], "lb-a");
  EXPECT_EQ(cluster["connected"], true);
  EXPECT_EQ(cluster["applied_revision"], 41);
  EXPECT_EQ(cluster["refused"]["revision"], 42);
  ASSERT_EQ(cluster["nodes"].size(), 2u);
  EXPECT_EQ(cluster["nodes"][1]["name"], "lb-b");
  EXPECT_TRUE(cluster["nodes"][1]["refused"].is_null());
  auto fresh = get("/api/v1/loadbalancers").second;
  EXPECT_EQ(fresh["stale"], false);
  EXPECT_FALSE(fresh.contains("stale_reason"));

  etcd.status.connected = false;
  etcd.status.error = "etcd is unreachable: 10.0.9.5:2379 (cannot connect)";
  etcd.status.local_copy = true;
  for (const char* path : {"/api/v1/loadbalancers", "/api/v1/endpoints"}) {
    auto [status, listing] = get(path);
    ASSERT_EQ(status, 200);
    EXPECT_EQ(listing["stale"], true) << path;
    EXPECT_EQ(listing["stale_reason"],
              "the shared store is unreachable (etcd is unreachable: 10.0.9.5:2379 (cannot "
              "connect)): this is the configuration of revision 41, this node's local copy, last "
              "applied here")
        << path;
  }
  EXPECT_EQ(get("/api/v1/cluster").second["stale"], true);
  ctx_.store_status = nullptr;
}

TEST_F(ApiRoutesTest, VerdictCountersByName) {
  status_.verdict_values[XLB_STAT_DROP_CT_FULL] = 7;
  status_.verdict_values[XLB_STAT_PASS_DSR_REPLY] = 2;
  auto [code, body] = get("/api/v1/stats");
  ASSERT_EQ(code, 200) << body;
  EXPECT_EQ(body["datapath"]["drop_ct_full"], 7);
  EXPECT_EQ(body["datapath"]["pass_dsr_reply"], 2);
  EXPECT_EQ(body["datapath"]["fwd_new"], 0);
}

TEST_F(ApiRoutesTest, StatsNameTheAttachModeAndEachInterfacesHook) {
  status_.attach = {AttachRequest::automatic,
                    {{"veth-a", AttachHook::xdp, TcLink::tcx}, {"veth-b", AttachHook::tc}}};
  auto [code, body] = get("/api/v1/stats");
  ASSERT_EQ(code, 200) << body;
  EXPECT_EQ(body["attach"], json::parse(R"({"requested": "auto", "interfaces": [
                              {"name": "veth-a", "hook": "xdp", "tc_attach": "tcx"},
                              {"name": "veth-b", "hook": "tc", "tc_attach": "clsact"}]})"));

  httplib::Client client("127.0.0.1", port_);
  auto res = client.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_NE(res->body.find(R"(xlb_interface_hook_info{hook="xdp",interface="veth-a"} 1)"),
            std::string::npos)
      << res->body;
  EXPECT_NE(res->body.find(R"(xlb_attach_requested_info{requested="auto"} 1)"), std::string::npos)
      << res->body;
}

TEST_F(ApiRoutesTest, AFailedReadAnswersWithItsCodesStatus) {
  status_.verdict_error = Error{ErrorCode::unavailable, "the datapath is being replaced", ""};
  auto [code, body] = get("/api/v1/stats");
  EXPECT_EQ(code, 503);
  EXPECT_EQ(body["error"]["code"], "unavailable");
  EXPECT_EQ(body["error"]["message"], "the datapath is being replaced");
}

TEST_F(ApiRoutesTest, ConntrackRowsNameTheirRule) {
  auto [code, body] = get("/api/v1/conntrack");
  ASSERT_EQ(code, 200) << body;
  ASSERT_EQ(body["count"], 1) << body;
  const json& row = body["flows"][0];
  EXPECT_EQ(row["service"], "web");
  EXPECT_EQ(row["src_ip"], "192.168.1.10");
  EXPECT_EQ(row["act"], "dnat-10.0.1.2:8080");
  EXPECT_EQ(row["packets"], 4);
}

TEST_F(ApiRoutesTest, SummaryIsTheAgingPassesOrAFreshWalk) {
  auto [fresh_code, fresh] = get("/api/v1/conntrack/summary");
  ASSERT_EQ(fresh_code, 200) << fresh;
  EXPECT_EQ(fresh["flows"], 1) << "no aging pass yet: the route walks conntrack itself";

  CtSummary latest;
  latest.flows = 42;
  status_.summary = latest;
  auto [code, body] = get("/api/v1/conntrack/summary");
  ASSERT_EQ(code, 200) << body;
  EXPECT_EQ(body["flows"], 42);
}

TEST_F(ApiRoutesTest, HealthzListsTheManagedInterfaces) {
  auto [code, body] = get("/healthz");
  ASSERT_EQ(code, 200);
  EXPECT_EQ(body["interfaces"], json::array({"veth-a", "veth-b"}));
}

TEST_F(ApiRoutesTest, MetricsRenderTheStatus) {
  status_.verdict_values[XLB_STAT_DROP_CT_FULL] = 7;
  httplib::Client client("127.0.0.1", port_);
  auto res = client.Get("/metrics");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  EXPECT_NE(res->body.find(R"(reason="ct_full",verdict="drop"} 7)"), std::string::npos)
      << res->body;
  EXPECT_NE(res->body.find(R"(rule="web")"), std::string::npos) << res->body;
}

TEST_F(ApiRoutesTest, HaStatesAreListedAndSet) {
  auto [code, body] = get("/api/v1/ha");
  ASSERT_EQ(code, 200) << body;
  EXPECT_EQ(body["cluster"], true);
  ASSERT_EQ(body["instances"].size(), 1u) << body;
  EXPECT_EQ(body["instances"][0]["instance"], "default");
  EXPECT_EQ(body["instances"][0]["state"], "NOT_DEFINED");
  EXPECT_EQ(body["instances"][0]["decided"], false);

  auto [set, one] = put("/api/v1/ha/default", R"({"state":"MASTER"})");
  ASSERT_EQ(set, 200) << one;
  EXPECT_EQ(one["state"], "MASTER");
  EXPECT_EQ(one["transitions"], 1);
  EXPECT_TRUE(one["since"].is_string()) << one;
  EXPECT_EQ(*ha_dp_.ha_state(XLB_HA_DEFAULT_INSTANCE), XLB_HA_MASTER) << "written to the datapath";
  EXPECT_EQ(announcer_.announced, 1);

  auto [lower, again] = put("/api/v1/ha/default", R"({"state":"backup"})");
  EXPECT_EQ(lower, 200) << again;
  EXPECT_EQ(again["state"], "BACKUP");
  auto [got, instance] = get("/api/v1/ha/default");
  ASSERT_EQ(got, 200);
  EXPECT_EQ(instance["state"], "BACKUP");
  EXPECT_EQ(instance["transitions"], 2);
}

TEST_F(ApiRoutesTest, BadHaRequestsAreRefusedAndChangeNothing) {
  struct Bad {
    std::string path, body;
    int status;
    std::string code, field, words;
  };
  const std::vector<Bad> cases = {
      {"/api/v1/ha/default", R"({"state":"LEADER"})", 400, "invalid_argument", "state",
       "MASTER, BACKUP, FAULT"},
      {"/api/v1/ha/default", R"({"state":1})", 400, "invalid_argument", "state", "MASTER"},
      {"/api/v1/ha/default", R"({"state":"MASTER","priority":5})", 400, "invalid_argument",
       "priority", "only state"},
      {"/api/v1/ha/default", "MASTER", 400, "invalid_argument", "", "JSON"},
      {"/api/v1/ha/shard-9", R"({"state":"MASTER"})", 404, "not_found", "instance", "default"},
  };
  for (const auto& c : cases) {
    auto [code, body] = put(c.path, c.body);
    EXPECT_EQ(code, c.status) << c.body << " -> " << body;
    EXPECT_EQ(body["error"]["code"], c.code) << body;
    EXPECT_EQ(body["error"]["field"], c.field) << body;
    EXPECT_NE(body["error"]["message"].get<std::string>().find(c.words), std::string::npos) << body;
  }
  auto [missing, error] = get("/api/v1/ha/shard-9");
  EXPECT_EQ(missing, 404) << error;
  EXPECT_EQ(*ha_dp_.ha_state(XLB_HA_DEFAULT_INSTANCE), XLB_HA_NOT_DEFINED);
  EXPECT_EQ(get("/api/v1/ha").second["instances"][0]["decided"], false);
}

TEST_F(ApiRoutesTest, MasterWhileThePeerResyncsIs409AndNotReady) {
  ASSERT_EQ(put("/api/v1/ha/default", R"({"state":"BACKUP"})").first, 200);
  cluster::PeerStatus peer;
  peer.address = "10.0.9.2";
  peer.connected = true;
  peer.resync = cluster::ResyncState::running;
  peer.states = {{"default", cluster::HaState::master}};
  peers_.set_peers({peer});

  auto [ready_code, not_ready] = get("/api/v1/ha/default/ready");
  EXPECT_EQ(ready_code, 503) << not_ready;
  EXPECT_EQ(not_ready["error"]["code"], "unavailable");
  auto [code, body] = put("/api/v1/ha/default", R"({"state":"MASTER"})");
  EXPECT_EQ(code, 409) << body;
  EXPECT_EQ(body["error"]["code"], "conflict");
  EXPECT_NE(body["error"]["message"].get<std::string>().find("resync"), std::string::npos);
  EXPECT_EQ(*ha_dp_.ha_state(XLB_HA_DEFAULT_INSTANCE), XLB_HA_BACKUP);
  auto [listed_code, listed] = get("/api/v1/ha");
  EXPECT_EQ(listed["instances"][0]["ready"], false);
  EXPECT_EQ(listed["peers"][0]["resync"], "running");
  EXPECT_EQ(listed["peers"][0]["states"]["default"], "MASTER");

  peer.resync = cluster::ResyncState::complete;
  peers_.set_peers({peer});
  EXPECT_EQ(get("/api/v1/ha/default/ready").first, 200);
  EXPECT_EQ(put("/api/v1/ha/default", R"({"state":"MASTER"})").first, 200);
}

}  // namespace
}  // namespace xlb::api
