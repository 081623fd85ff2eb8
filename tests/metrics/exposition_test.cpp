// metrics::render() on a made-up scrape: every series the docs list, with the numbers given.
#include "metrics/exposition.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "exposition_lines.h"
#include "metrics/verdicts.h"

extern "C" {
#include "xlb/abi/stats.h"
}

namespace xlb::metrics {
namespace {

// An endpoint of the test rule with its counters.
EndpointStatus endpoint(const std::string& ip, model::EndpointState state, xlb_counter counter,
                        uint32_t active_flows) {
  EndpointStatus ep;
  ep.endpoint.ip = ip;
  ep.endpoint.port = 8080;
  ep.endpoint.state = state;
  ep.counter = counter;
  ep.active_flows = active_flows;
  return ep;
}

ServiceStatus web_rule() {
  ServiceStatus st;
  st.service.key = {"20.20.20.1", model::Protocol::tcp, 80};
  st.service.name = "web";
  st.id = 3;
  st.counter = {.packets = 30, .bytes = 3000, .new_flows = 7};
  st.endpoints.push_back(endpoint("10.1.2.10", model::EndpointState::up,
                                  {.packets = 20, .bytes = 2000, .new_flows = 4}, 2));
  st.endpoints.push_back(endpoint("10.1.2.11", model::EndpointState::draining,
                                  {.packets = 10, .bytes = 1000, .new_flows = 3}, 1));
  st.endpoints.back().health.emplace().state = health::TargetState::down;
  return st;
}

constexpr const char* kRule = R"(port="80",protocol="tcp",rule="web",vip="20.20.20.1")";

// A DSR rule whose first endpoint was reached over L2 and second tunnelled.
// A fullproxy rule with a host, and the proxy's counters for it (5 requests over 2 backend
// connections, 4 answered 2xx and 1 5xx).
void add_l7_input(ScrapeInput& in) {
  ServiceStatus st;
  st.service.key = {"20.20.20.3", model::Protocol::tcp, 80, "www.a.com"};
  st.service.name = "site-a";
  st.service.mode = model::Mode::fullproxy;
  in.rules.push_back(st);
  proxy::RuleStatsSnapshot r;
  r.key = model::to_string(st.service.key);
  r.requests = 5;
  r.responses = {0, 4, 0, 0, 1};
  r.backend_connections = 2;
  r.latency_buckets.assign(proxy::kLatencyBounds.size() + 1, 0);
  r.latency_buckets[2] = 5;
  r.latency_sum_seconds = 0.02;
  proxy::ProxyStatus l7{.running = true, .restarts = 1, .stats = proxy::ProxyStatsSnapshot{}};
  l7.stats->rules = {r};
  l7.stats->refused = {{400, 3}};
  l7.stats->tls_handshakes = {{"client", 9}, {"backend", 4}};
  l7.stats->tls_failures = {{"backend", "hostname_mismatch", 2}};
  l7.stats->certificates = {{r.key, "/etc/xlb/tls/a.crt", 41.5}};
  in.l7 = l7;
}

TEST(Exposition, L7SeriesOfAFullproxyRule) {
  ScrapeInput in;
  add_l7_input(in);
  const std::string text = render(in, nullptr);
  const std::string labels = "host=\"www.a.com\",port=\"80\",rule=\"site-a\",vip=\"20.20.20.3\"";
  EXPECT_NE(text.find("xlb_l7_requests_total{" + labels + "} 5"), std::string::npos) << text;
  EXPECT_NE(text.find("xlb_l7_responses_total{class=\"5xx\"," + labels + "} 1"), std::string::npos)
      << text;
  EXPECT_NE(text.find("xlb_l7_backend_connections_total{" + labels + "} 2"), std::string::npos);
  EXPECT_NE(text.find("xlb_l7_request_duration_seconds_count{" + labels + "} 5"),
            std::string::npos);
  EXPECT_NE(text.find("xlb_l7_refused_total{status=\"400\"} 3"), std::string::npos);
  EXPECT_NE(text.find("xlb_l7_proxy_up 1"), std::string::npos);
  EXPECT_NE(text.find("xlb_l7_tls_handshakes_total{side=\"backend\"} 4"), std::string::npos);
  EXPECT_NE(text.find("xlb_l7_tls_handshake_failures_total{reason=\"hostname_mismatch\","
                      "side=\"backend\"} 2"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("xlb_l7_tls_certificate_expiry_seconds{certificate=\"/etc/xlb/tls/a.crt\"," +
                      labels + "} 3585600"),
            std::string::npos)
      << text;
}

ServiceStatus dsr_rule() {
  ServiceStatus st;
  st.service.key = {"20.20.20.2", model::Protocol::tcp, 80};
  st.service.name = "direct";
  st.service.mode = model::Mode::dsr;
  st.id = 4;
  st.endpoints.push_back(endpoint("10.1.2.10", model::EndpointState::up, {}, 0));
  st.endpoints.back().endpoint.port = 80;
  st.endpoints.back().dsr = {.l2 = 5, .ipip = 0};
  st.endpoints.push_back(endpoint("10.1.9.10", model::EndpointState::up, {}, 0));
  st.endpoints.back().endpoint.port = 80;
  st.endpoints.back().dsr = {.l2 = 0, .ipip = 7};
  st.dsr = {.l2 = 5, .ipip = 7};
  return st;
}

TEST(Exposition, RuleAndEndpointTraffic) {
  ScrapeInput in;
  in.rules = {web_rule()};
  const std::string text = render(in, nullptr);
  const std::string rule = kRule;
  EXPECT_TRUE(has_line(text, "xlb_rule_packets_total{" + rule + "} 30")) << text;
  EXPECT_TRUE(has_line(text, "xlb_rule_bytes_total{" + rule + "} 3000")) << text;
  EXPECT_TRUE(has_line(text, "xlb_rule_new_flows_total{" + rule + "} 7")) << text;
  // A rule's active flows are its endpoints' (the datapath counts per endpoint only).
  EXPECT_TRUE(has_line(text, "xlb_rule_active_flows{" + rule + "} 3")) << text;
  const std::string a = R"(endpoint="10.1.2.10:8080",)" + rule;
  EXPECT_TRUE(has_line(text, "xlb_endpoint_new_flows_total{" + a + "} 4")) << text;
  EXPECT_TRUE(has_line(text, "xlb_endpoint_active_flows{" + a + "} 2")) << text;
  EXPECT_TRUE(has_line(text, "xlb_rules 1")) << text;
  EXPECT_TRUE(has_line(text, "# TYPE xlb_rule_packets_total counter")) << text;
  EXPECT_TRUE(has_line(text, "# TYPE xlb_rule_active_flows gauge")) << text;
}

TEST(Exposition, DsrRulesCountTheirPacketsByPath) {
  ScrapeInput in;
  in.rules = {web_rule(), dsr_rule()};
  const std::string text = render(in, nullptr);
  const std::string rule = R"(port="80",protocol="tcp",rule="direct",vip="20.20.20.2")";
  auto with_path = [&](const std::string& prefix, const char* path) {
    return prefix + R"(path=")" + path + R"(",)" + rule + "}";
  };
  EXPECT_TRUE(has_line(text, with_path("xlb_rule_dsr_packets_total{", "l2") + " 5")) << text;
  EXPECT_TRUE(has_line(text, with_path("xlb_rule_dsr_packets_total{", "ipip") + " 7")) << text;
  const std::string routed = R"(xlb_endpoint_dsr_packets_total{endpoint="10.1.9.10:80",)";
  EXPECT_TRUE(has_line(text, with_path(routed, "ipip") + " 7")) << text;
  EXPECT_TRUE(has_line(text, with_path(routed, "l2") + " 0")) << text;
  // Not a DSR rule: no path series.
  EXPECT_EQ(
      text.find(R"(xlb_rule_dsr_packets_total{path="l2",port="80",protocol="tcp",rule="web")"),
      std::string::npos)
      << text;
}

TEST(Exposition, EndpointStatesAreStateSets) {
  ScrapeInput in;
  in.rules = {web_rule()};
  const std::string text = render(in, nullptr);
  // Labels come out sorted by name: state sits between rule and vip.
  auto series = [](const std::string& name, const std::string& state) {
    return name + R"({endpoint="10.1.2.11:8080",port="80",protocol="tcp",rule="web",state=")" +
           state + R"(",vip="20.20.20.1"})";
  };
  EXPECT_TRUE(has_line(text, series("xlb_endpoint_admin_state", "draining") + " 1")) << text;
  EXPECT_TRUE(has_line(text, series("xlb_endpoint_admin_state", "up") + " 0")) << text;
  EXPECT_TRUE(has_line(text, series("xlb_endpoint_health_state", "down") + " 1")) << text;
  EXPECT_TRUE(has_line(text, series("xlb_endpoint_health_state", "ok") + " 0")) << text;
  // Endpoint 10.1.2.10 has no health check: no health series for it.
  EXPECT_EQ(text.find(R"(xlb_endpoint_health_state{endpoint="10.1.2.10:8080")"), std::string::npos)
      << text;
}

TEST(Exposition, VerdictsByVerdictAndReason) {
  ScrapeInput in;
  in.verdicts.assign(XLB_STAT_MAX, 0);
  in.verdicts[XLB_STAT_DROP_NO_ENDPOINT] = 5;
  in.verdicts[XLB_STAT_PASS_NOT_VIP] = 9;
  in.verdicts[XLB_STAT_FWD_NEW] = 11;
  in.verdicts[XLB_STAT_ARP_REPLY] = 2;
  const std::string text = render(in, nullptr);
  EXPECT_TRUE(
      has_line(text, R"(xlb_datapath_packets_total{reason="no_endpoint",verdict="drop"} 5)"))
      << text;
  EXPECT_TRUE(has_line(text, R"(xlb_datapath_packets_total{reason="not_vip",verdict="pass"} 9)"))
      << text;
  EXPECT_TRUE(has_line(text, R"(xlb_datapath_packets_total{reason="new",verdict="forward"} 11)"))
      << text;
  EXPECT_TRUE(has_line(text, R"(xlb_datapath_packets_total{reason="arp_reply",verdict="reply"} 2)"))
      << text;
}

TEST(Exposition, RingLossesAreNotPackets) {
  ScrapeInput in;
  in.verdicts.assign(XLB_STAT_MAX, 0);
  in.verdicts[XLB_STAT_FLOW_EVENTS_LOST] = 17;
  const std::string text = render(in, nullptr);
  EXPECT_TRUE(has_line(text, "xlb_datapath_flow_events_lost_total 17")) << text;
  EXPECT_EQ(text.find("flow_events_lost\""), std::string::npos) << text;
}

TEST(Exposition, VerdictLabelsSplitTheCounterName) {
  EXPECT_EQ(verdict_labels("drop_ct_full").verdict, "drop");
  EXPECT_EQ(verdict_labels("drop_ct_full").reason, "ct_full");
  EXPECT_EQ(verdict_labels("fwd_est").verdict, "forward");
  EXPECT_EQ(verdict_labels("icmp_frag_needed").verdict, "reply");
  EXPECT_EQ(verdict_labels("icmp_frag_needed").reason, "icmp_frag_needed");
}

TEST(Exposition, ConntrackFromTheSummaryElseCapacityOnly) {
  ScrapeInput in;
  in.ct_capacity = 4096;
  in.ct_syn_capacity = 1024;
  std::string text = render(in, nullptr);
  EXPECT_TRUE(has_line(text, "xlb_conntrack_capacity_entries 4096")) << text;
  EXPECT_TRUE(has_line(text, "xlb_conntrack_syn_capacity_entries 1024")) << text;
  EXPECT_EQ(text.find("xlb_conntrack_entries"), std::string::npos) << text;
  EXPECT_EQ(text.find("xlb_conntrack_syn_entries"), std::string::npos) << text;

  CtSummary s;
  s.capacity = 8192;
  s.entries = 10;
  s.syn_capacity = 2048;
  s.syn_entries = 1500;
  s.flows = 5;
  s.flows_by_state = {{"est", 4}, {"time-wait", 1}};
  s.flows_by_proto = {{"tcp", 5}};
  s.snat_ports = {{"10.1.2.1", 3}};
  in.conntrack = s;
  text = render(in, nullptr);
  EXPECT_TRUE(has_line(text, "xlb_conntrack_capacity_entries 8192")) << text;
  EXPECT_TRUE(has_line(text, "xlb_conntrack_entries 10")) << text;
  EXPECT_TRUE(has_line(text, "xlb_conntrack_syn_capacity_entries 2048")) << text;
  EXPECT_TRUE(has_line(text, "xlb_conntrack_syn_entries 1500")) << text;
  EXPECT_TRUE(has_line(text, R"(xlb_conntrack_flows{state="est"} 4)")) << text;
  EXPECT_TRUE(has_line(text, R"(xlb_conntrack_protocol_flows{protocol="tcp"} 5)")) << text;
  EXPECT_TRUE(has_line(text, R"(xlb_snat_ports_in_use{address="10.1.2.1"} 3)")) << text;
}

TEST(Exposition, DaemonSeries) {
  ScrapeInput in;
  in.control_plane_errors = 4;
  const std::string text = render(in, nullptr);
  EXPECT_TRUE(has_line(text, "xlb_control_plane_errors_total 4")) << text;
  EXPECT_TRUE(has_line(text, R"(xlb_build_info{version=")" XLB_TEST_VERSION R"("} 1)")) << text;
}

TEST(Exposition, AttachModeAndTheHookOfEachInterface) {
  ScrapeInput in;
  in.attach = {AttachRequest::automatic,
               {{"veth-lb0", AttachHook::xdp}, {"veth-lb1", AttachHook::tc}}};
  const std::string text = render(in, nullptr);
  EXPECT_TRUE(has_line(text, R"(xlb_attach_requested_info{requested="auto"} 1)")) << text;
  EXPECT_TRUE(has_line(text, R"(xlb_interface_hook_info{hook="xdp",interface="veth-lb0"} 1)"))
      << text;
  EXPECT_TRUE(has_line(text, R"(xlb_interface_hook_info{hook="tc",interface="veth-lb1"} 1)"))
      << text;
}

TEST(Exposition, LargeCountersKeepEveryDigit) {
  ScrapeInput in;
  ServiceStatus st = web_rule();
  st.counter.bytes = 123456789012345ull;  // 112 TiB, below 2^53: exact in a double
  in.rules = {st};
  const std::string text = render(in, nullptr);
  EXPECT_TRUE(has_line(text, "xlb_rule_bytes_total{" + std::string(kRule) + "} 123456789012345"))
      << text;
}

// A pair's view: this node BACKUP after 3 changes, its peer connected, one refused stranger.
cluster::HaStatus ha_pair() {
  cluster::HaStatus ha;
  ha.cluster = true;
  cluster::HaInstanceStatus st;
  st.name = "default";
  st.state = cluster::HaState::backup;
  st.transitions = 3;
  ha.instances = {st};
  cluster::PeerStatus peer;
  peer.address = "10.0.9.2";
  peer.connected = true;
  peer.sync.enabled = true;
  peer.sync.flows_sent = 120;
  peer.sync.closed_received = 4;
  peer.sync.lag_seconds = 0.25;
  peer.sync.rejects.unknown_endpoint = 2;
  peer.sync.last_full_resync = cluster::WallClock::time_point(std::chrono::seconds(1800000000));
  ha.peers = {peer};
  ha.rejects.address = 1;
  return ha;
}

TEST(Exposition, HaStateTransitionsAndPeers) {
  ScrapeInput in;
  in.ha = ha_pair();
  std::string text = render(in, nullptr);
  EXPECT_TRUE(has_line(text, R"(xlb_ha_state{instance="default",state="BACKUP"} 1)")) << text;
  EXPECT_TRUE(has_line(text, R"(xlb_ha_state{instance="default",state="MASTER"} 0)")) << text;
  EXPECT_TRUE(has_line(text, R"(xlb_ha_state{instance="default",state="NOT_DEFINED"} 0)")) << text;
  EXPECT_TRUE(has_line(text, R"(xlb_ha_transitions_total{instance="default"} 3)")) << text;
  EXPECT_TRUE(has_line(text, R"(xlb_cluster_peer_connected{peer="10.0.9.2"} 1)")) << text;
  EXPECT_TRUE(has_line(text, R"(xlb_cluster_rejected_connections_total{reason="address"} 1)"))
      << text;
  EXPECT_TRUE(has_line(text, R"(xlb_cluster_rejected_connections_total{reason="handshake"} 0)"))
      << text;
  EXPECT_TRUE(has_line(text, R"(xlb_cluster_sync_lag_seconds{peer="10.0.9.2"} 0.25)")) << text;
  EXPECT_TRUE(
      has_line(text, R"(xlb_cluster_sync_records_sent_total{kind="flow",peer="10.0.9.2"} 120)"))
      << text;
  EXPECT_TRUE(
      has_line(text, R"(xlb_cluster_sync_records_received_total{kind="closed",peer="10.0.9.2"} 4)"))
      << text;
  EXPECT_TRUE(has_line(
      text,
      R"(xlb_cluster_sync_records_rejected_total{peer="10.0.9.2",reason="unknown_endpoint"} 2)"))
      << text;
  EXPECT_TRUE(has_line(
      text, R"(xlb_cluster_sync_last_full_resync_timestamp_seconds{peer="10.0.9.2"} 1800000000)"))
      << text;
  in.ha.cluster = false;  // a lone node: its state, no peer series
  text = render(in, nullptr);
  EXPECT_TRUE(has_line(text, R"(xlb_ha_state{instance="default",state="BACKUP"} 1)")) << text;
  EXPECT_EQ(text.find("xlb_cluster_"), std::string::npos) << text;
}

// The configuration store: the file store always answers; etcd's revisions and refusals.
TEST(Exposition, StoreSeries) {
  ScrapeInput in;
  in.store = StoreStatus{.kind = "file", .location = "/var/lib/xlb"};
  std::string text = render(in, nullptr);
  EXPECT_TRUE(has_line(text, R"(xlb_store_connected{store="file"} 1)")) << text;
  EXPECT_EQ(text.find("xlb_store_applied_revision"), std::string::npos) << text;

  in.store = StoreStatus{.kind = "etcd",
                         .connected = false,
                         .applied_revision = 41,
                         .refused_revision = 42,
                         .refused_total = 3};
  text = render(in, nullptr);
  EXPECT_TRUE(has_line(text, R"(xlb_store_connected{store="etcd"} 0)")) << text;
  EXPECT_TRUE(has_line(text, R"(xlb_store_applied_revision{store="etcd"} 41)")) << text;
  EXPECT_TRUE(has_line(text, R"(xlb_store_refused_revision{store="etcd"} 42)")) << text;
  EXPECT_TRUE(has_line(text, R"(xlb_store_refused_revisions_total{store="etcd"} 3)")) << text;

  in.store.reset();  // not reported: no series at all
  EXPECT_EQ(render(in, nullptr).find("xlb_store_"), std::string::npos);
}

// Every family of a scrape with every kind of state is in docs/metrics.md, and vice versa.
TEST(Exposition, EveryMetricIsDocumented) {
  ScrapeInput in;
  in.rules = {web_rule(), dsr_rule()};
  in.verdicts.assign(XLB_STAT_MAX, 1);
  CtSummary summary;
  summary.flows_by_state = {{"est", 1}};
  summary.flows_by_proto = {{"tcp", 1}};
  summary.snat_ports = {{"10.1.2.1", 1}};
  in.conntrack = summary;
  in.ha = ha_pair();
  add_l7_input(in);
  in.store = StoreStatus{.kind = "etcd", .refused_revision = 7, .refused_total = 1};
  in.attach = {AttachRequest::xdp, {{"veth-lb0", AttachHook::xdp}}};
  LiveMetrics live;
  live.observe_probe("10.1.2.11:8080", true, 0.001);
  std::istringstream text(render(in, &live));
  std::set<std::string> exported;
  for (std::string line; std::getline(text, line);) {
    if (line.starts_with("# TYPE ")) exported.insert(line.substr(7, line.find(' ', 7) - 7));
  }
  std::ifstream doc(XLB_METRICS_DOC);
  ASSERT_TRUE(doc) << XLB_METRICS_DOC;
  std::set<std::string> documented;
  for (std::string line; std::getline(doc, line);) {
    if (line.starts_with("| `xlb_")) documented.insert(line.substr(3, line.find('`', 3) - 3));
  }
  EXPECT_EQ(exported, documented);
}

#ifdef PROMTOOL_PATH
TEST(Exposition, PassesPromtool) {
  ScrapeInput in;
  in.rules = {web_rule(), dsr_rule()};
  in.verdicts.assign(XLB_STAT_MAX, 1);
  CtSummary summary;
  summary.capacity = 1024;
  summary.entries = 2;
  summary.flows_by_state = {{"est", 1}};
  in.conntrack = summary;
  in.ha = ha_pair();
  add_l7_input(in);
  in.attach = {AttachRequest::automatic,
               {{"veth-lb0", AttachHook::xdp}, {"veth-lb1", AttachHook::tc}}};
  LiveMetrics live;
  live.observe_probe("10.1.2.11:8080", true, 0.002);
  const std::string path = ::testing::TempDir() + "xlb_metrics_promtool.txt";
  std::ofstream(path) << render(in, &live);
  const std::string cmd = std::string(PROMTOOL_PATH) + " check metrics < " + path + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[256];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  EXPECT_EQ(pclose(p), 0) << out;
  EXPECT_EQ(out, "");
  std::remove(path.c_str());
}
#endif

}  // namespace
}  // namespace xlb::metrics
