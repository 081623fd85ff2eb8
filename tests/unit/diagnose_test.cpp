// diagnose::analyze, table-driven: a healthy snapshot, then one fault per case, each expected
// to produce its finding (code, severity, words an operator reads) and to make the report
// unhealthy, or not.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "diagnose/findings.h"

namespace xlb::diagnose {
namespace {

EndpointStatus endpoint(const std::string& ip, uint16_t port = 8080) {
  EndpointStatus ep;
  ep.endpoint.ip = ip;
  ep.endpoint.port = port;
  return ep;
}

Subnet subnet(const std::string& prefix, const std::string& dev) {
  return {prefix, dev, parse_ip_cidr(prefix).value()};
}

// NAT rule 10.0.0.100:80/tcp -> 10.0.1.2:8080, 10.0.1.3:8080; clients on 192.168.1.0/24 (eth0),
// endpoints on 10.0.1.0/24 (eth1); five established flows; routes and neighbours fine.
Snapshot healthy() {
  Snapshot s;
  s.query = {"10.0.0.100", 80, model::Protocol::tcp};
  ServiceStatus st;
  st.service.key = {"10.0.0.100", model::Protocol::tcp, 80};
  st.service.name = "web";
  st.endpoints = {endpoint("10.0.1.2"), endpoint("10.0.1.3")};
  st.counter.packets = 40;
  s.rules_on_vip = {st};
  CtSummary ct;
  ct.capacity = 1024;
  ct.entries = 10;
  ct.flows = 5;
  ct.flows_by_state = {{"est", 5}};
  s.conntrack = ct;
  EndpointFlows ef;
  ef.endpoint = "10.0.1.2";
  ef.port = 8080;
  ef.mode = model::Mode::nat;
  ef.flows = 5;
  ef.by_state = {{XLB_CT_EST, 5}};
  ef.clients = {"192.168.1.10"};
  s.flows = {ef};
  s.counters[XLB_STAT_FWD_NEW] = 5;
  s.counters[XLB_STAT_FWD_EST] = 35;
  s.counters[XLB_STAT_ARP_REPLY] = 1;
  s.net.checked = true;
  s.net.managed_interfaces = {"eth0", "eth1"};
  s.net.subnets = {subnet("192.168.1.0/24", "eth0"), subnet("10.0.1.0/24", "eth1")};
  s.net.routes = {{"10.0.1.2", true, "", "eth1"},
                  {"10.0.1.3", true, "", "eth1"},
                  {"192.168.1.10", true, "", "eth0"}};
  s.net.neighbours = {{"10.0.1.2", "eth1", NeighbourState::reachable},
                      {"10.0.1.3", "eth1", NeighbourState::stale}};
  return s;
}

ServiceStatus& rule(Snapshot& s) { return s.rules_on_vip.front(); }
EndpointFlows& flows(Snapshot& s) { return s.flows.front(); }

EndpointHealth probe_down(const std::string& error) {
  EndpointHealth h;
  h.state = health::TargetState::down;
  h.probe = "tcp";
  h.last_error = error;
  return h;
}

// Both rule endpoints and the client on one subnet, as in the one-arm layout.
void one_arm(Snapshot& s) {
  s.net.subnets = {subnet("10.9.16.0/24", "eth0")};
  rule(s).endpoints = {endpoint("10.9.16.20")};
  flows(s).endpoint = "10.9.16.20";
  flows(s).clients = flows(s).sample_clients = {"10.9.16.10"};
  s.net.routes = {{"10.9.16.20", true, "", "eth0"}, {"10.9.16.10", true, "", "eth0"}};
  s.net.neighbours = {{"10.9.16.20", "eth0", NeighbourState::reachable}};
}

// --attach=xdp on both interfaces; eth1's peer (in netns sw) has GRO on.
void on_xdp(Snapshot& s) {
  s.attach = {AttachRequest::xdp, {{"eth0", AttachHook::xdp}, {"eth1", AttachHook::xdp}}};
  VethPeerFact peer;
  peer.ifname = "eth1";
  peer.peer = "lb-eth1 (netns sw)";
  peer.peer_if = "lb-eth1";
  peer.peer_netns = "sw";
  peer.checked = true;
  peer.xdp = true;  // readied as docs/modes.md says: a pass program, TX offload off
  s.veth_peers = {peer};
}

void dsr(Snapshot& s) {
  rule(s).service.mode = model::Mode::dsr;
  for (auto& ep : rule(s).endpoints) ep.endpoint.port = 80;
  flows(s).mode = model::Mode::dsr;
  flows(s).port = 80;
}

// HA: this node in `mine`, one --cluster peer, connected or not, reporting `theirs`.
void ha_pair(Snapshot& s, cluster::HaState mine, cluster::HaState theirs, bool connected = true,
             bool decided = true) {
  s.ha.cluster = true;
  cluster::HaInstanceStatus st;
  st.name = "default";
  st.state = mine;
  st.decided = decided;
  s.ha.instances = {st};
  cluster::PeerStatus peer;
  peer.address = "10.0.9.2";
  peer.connected = connected;
  peer.reporting = connected;
  if (!connected) peer.last_error = "cannot report to it: cannot connect: Connection refused";
  if (connected) peer.states = {{"default", theirs}};
  peer.sync.enabled = true;
  s.ha.peers = {peer};
}

struct Case {
  std::string name;
  std::function<void(Snapshot&)> fault;
  std::string code;  // the finding expected
  Severity severity;
  std::string text;  // appears in its title, evidence or fix
};

const Finding* find(const Report& r, const std::string& code) {
  for (const auto& f : r.findings) {
    if (f.code == code) return &f;
  }
  return nullptr;
}

std::string all_text(const Finding& f) {
  std::string text = f.title + "\n" + f.fix;
  for (const auto& e : f.evidence) text += "\n" + e;
  return text;
}

class AnalyzeCase : public ::testing::TestWithParam<Case> {};

TEST_P(AnalyzeCase, NamesTheCause) {
  const Case& c = GetParam();
  Snapshot s = healthy();
  c.fault(s);
  Report r = analyze(s);
  const Finding* f = find(r, c.code);
  ASSERT_NE(f, nullptr) << "no " << c.code << " finding; got:\n" << to_json(r).dump(2);
  EXPECT_EQ(f->severity, c.severity) << to_string(f->severity);
  EXPECT_NE(all_text(*f).find(c.text), std::string::npos) << all_text(*f);
  const bool bad = c.severity == Severity::warning || c.severity == Severity::problem;
  EXPECT_EQ(r.healthy(), !bad);
  EXPECT_EQ(find(r, "healthy") != nullptr, !bad);
  if (bad) {
    EXPECT_FALSE(f->fix.empty()) << "a problem comes with its fix";
  }
}

const Case kCases[] = {
    {"NoRuleForThePort", [](Snapshot& s) { s.query.port = 81; }, "no_rule", Severity::problem,
     "rules on 10.0.0.100: 10.0.0.100:80/tcp"},
    {"NoRuleForTheProtocol", [](Snapshot& s) { s.query.protocol = model::Protocol::udp; },
     "no_rule", Severity::problem, "No rule for 10.0.0.100:80/udp"},
    {"VipInNoRule",
     [](Snapshot& s) {
       s.rules_on_vip.clear();
       s.flows.clear();
       s.other_vips = {"20.20.20.1"};
     },
     "no_rule", Severity::problem, "VIPs with rules: 20.20.20.1"},
    {"NotAttached", [](Snapshot& s) { s.net.managed_interfaces.clear(); }, "not_attached",
     Severity::problem, "--interfaces"},
    {"VipOnNoSubnet", [](Snapshot&) {}, "vip_routed", Severity::info, "ip route add 10.0.0.100/32"},
    {"NoTraffic",
     [](Snapshot& s) {
       rule(s).counter.packets = 0;
       s.flows.clear();
     },
     "no_traffic", Severity::warning, "arp_reply = 1"},
    {"ProbeRefused",
     [](Snapshot& s) { rule(s).endpoints[1].health = probe_down("connect: connection refused"); },
     "endpoint_refuses", Severity::problem,
     "backend 10.0.1.3:8080 refuses connections: is the service listening on that port?"},
    {"FlowsRefused",
     [](Snapshot& s) {
       flows(s).refused = 3;
       flows(s).sample_clients = {"192.168.1.10"};
     },
     "endpoint_refuses", Severity::problem, "3 flows were answered by the backend with a TCP RST"},
    {"ProbeTimesOut",
     [](Snapshot& s) { rule(s).endpoints[0].health = probe_down("connect: timed out"); },
     "endpoint_down", Severity::problem, "last error \"connect: timed out\""},
    {"NoEligibleEndpoint",
     [](Snapshot& s) {
       rule(s).endpoints[0].endpoint.state = model::EndpointState::draining;
       rule(s).endpoints[1].health = probe_down("connect: timed out");
       s.counters[XLB_STAT_DROP_NO_ENDPOINT] = 7;
     },
     "no_endpoint", Severity::problem, "drop_no_endpoint = 7"},
    {"NatRepliesBypassTheLb",
     [](Snapshot& s) {
       one_arm(s);
       flows(s).unanswered = 4;
       flows(s).oldest_unanswered_s = 12;
     },
     "nat_replies_bypass", Severity::problem,
     "client 10.9.16.10 and backend 10.9.16.20 are both on 10.9.16.0/24"},
    {"NatRepliesBypassTitle", [](Snapshot& s) { flows(s).unanswered = 1; }, "nat_replies_bypass",
     Severity::problem,
     "replies are not returning through the LB: in NAT mode the backend must route the client's "
     "address via the LB"},
    {"FullnatEndpointSilent",
     [](Snapshot& s) {
       rule(s).service.mode = model::Mode::fullnat;
       flows(s).mode = model::Mode::fullnat;
       flows(s).unanswered = 2;
     },
     "endpoint_silent", Severity::problem, "backend 10.0.1.2:8080 never answers"},
    {"EndpointNotAnsweringArp",
     [](Snapshot& s) {
       s.net.neighbours[0].state = NeighbourState::failed;
       flows(s).unanswered = 2;
     },
     "endpoint_unreachable", Severity::problem, "neighbour entry of 10.0.1.2 on eth1: failed"},
    {"NoRouteToEndpoint", [](Snapshot& s) { s.net.routes[1].found = false; }, "no_route_endpoint",
     Severity::problem, "no route to backend 10.0.1.3"},
    {"NoRouteToClient", [](Snapshot& s) { s.net.routes[2].found = false; }, "no_route_client",
     Severity::problem, "no route back to clients 192.168.1.10"},
    {"DsrPortTranslation",
     [](Snapshot& s) {
       dsr(s);
       rule(s).endpoints[0].endpoint.port = 8080;
     },
     "dsr_port_translation", Severity::problem, "DSR cannot translate ports"},
    {"DsrL2EndpointNotOnTheLink",
     [](Snapshot& s) {
       dsr(s);
       s.net.neighbours[1].state = NeighbourState::incomplete;
     },
     "dsr_l2_unreachable", Severity::problem,
     "L2-DSR backend 10.0.1.3 is not reachable at layer 2 on eth1"},
    {"DsrHandshakeNeverCompletes",
     [](Snapshot& s) {
       dsr(s);
       flows(s).unanswered = 3;
       flows(s).sample_clients = {"192.168.1.10"};
     },
     "dsr_no_handshake", Severity::problem, "10.0.0.100/32 on lo"},
    {"VipOnALinkXlbDoesNotManage",
     [](Snapshot& s) { s.net.subnets.push_back(subnet("10.0.0.0/24", "eth2")); },
     "vip_arp_unanswered", Severity::problem, "add eth2 to xlbd --interfaces"},
    {"DsrRepliesThroughTheLb",
     [](Snapshot& s) {
       dsr(s);
       s.counters[XLB_STAT_PASS_DSR_REPLY] = 7;
     },
     "dsr_replies_via_lb", Severity::problem, "pass_dsr_reply = 7"},
    {"DsrOnLinkEndpointTunnelled",
     [](Snapshot& s) {
       dsr(s);
       rule(s).endpoints[1].dsr = {.l2 = 0, .ipip = 12};  // routes say on-link: L2
     },
     "dsr_path_mismatch", Severity::warning,
     "10.0.1.3:80 of rule web is reached over IPIP, not over L2"},
    {"DsrRoutedEndpointSentOverL2",
     [](Snapshot& s) {
       dsr(s);
       s.net.routes[0].via = "10.0.1.254";  // routed: IPIP predicted
       rule(s).endpoints[0].dsr = {.l2 = 4, .ipip = 0};
     },
     "dsr_path_mismatch", Severity::warning, "route to 10.0.1.2: via 10.0.1.254 on eth1"},
    {"ConntrackFilling", [](Snapshot& s) { s.conntrack->entries = 800; }, "ct_near_capacity",
     Severity::warning, "800 of 1024 entries"},
    {"ConntrackFull", [](Snapshot& s) { s.conntrack->entries = 1000; }, "ct_near_capacity",
     Severity::problem, "--ct-size"},
    {"ConntrackWasFull", [](Snapshot& s) { s.counters[XLB_STAT_DROP_CT_FULL] = 9; },
     "ct_near_capacity", Severity::problem, "drop_ct_full = 9"},
    {"ConntrackSynMapFlooded",
     [](Snapshot& s) {
       s.conntrack->syn_capacity = 1024;
       s.conntrack->syn_entries = 1000;
     },
     "ct_near_capacity", Severity::warning, "1000 of 1024 handshake entries"},
    {"SnatPortsNearlyExhausted",
     [](Snapshot& s) {
       s.conntrack->snat_ports_by_target = {{"10.0.0.250 -> 10.0.1.2:8080", 29000}};
     },
     "snat_ports_exhausted", Severity::problem, "29000 of 31744 ports"},
    {"SnatPortsRanOut", [](Snapshot& s) { s.counters[XLB_STAT_DROP_SNAT_EXHAUSTED] = 2; },
     "snat_ports_exhausted", Severity::problem, "drop_snat_exhausted = 2"},
    {"MalformedDrops", [](Snapshot& s) { s.counters[XLB_STAT_DROP_MALFORMED] = 5; },
     "packets_dropped", Severity::warning, "drop_malformed = 5"},
    {"NoRouteCounter", [](Snapshot& s) { s.counters[XLB_STAT_PASS_NO_ROUTE] = 5; }, "pass_no_route",
     Severity::warning, "pass_no_route = 5"},
    {"BothNodesMaster",
     [](Snapshot& s) { ha_pair(s, cluster::HaState::master, cluster::HaState::master); },
     "ha_both_master", Severity::problem, "peer 10.0.9.2 (connected): MASTER"},
    {"HaStateNeverSet",
     [](Snapshot& s) {
       ha_pair(s, cluster::HaState::not_defined, cluster::HaState::backup, true, false);
     },
     "ha_not_set", Severity::warning, "xlbctl set ha default --state=BACKUP"},
    {"NoNodeMaster",
     [](Snapshot& s) { ha_pair(s, cluster::HaState::backup, cluster::HaState::fault); },
     "ha_no_master", Severity::problem, "nobody answers ARP for 10.0.0.100"},
    {"Standby", [](Snapshot& s) { ha_pair(s, cluster::HaState::backup, cluster::HaState::master); },
     "ha_standby", Severity::info, "does not answer ARP or ping for 10.0.0.100"},
    {"PeerNotConnected",
     [](Snapshot& s) {
       ha_pair(s, cluster::HaState::master, cluster::HaState::backup, /*connected=*/false);
     },
     "ha_peer_not_connected", Severity::warning, "Connection refused"},
    {"SyncLagging",
     [](Snapshot& s) {
       ha_pair(s, cluster::HaState::master, cluster::HaState::backup);
       s.ha.peers[0].sync.lag_seconds = 2.5;
     },
     "ha_sync_lagging", Severity::warning, "oldest record waiting: 2.5"},
    {"SyncQueueOverflowed",
     [](Snapshot& s) {
       ha_pair(s, cluster::HaState::master, cluster::HaState::backup);
       s.ha.peers[0].sync.queue_dropped = 7;
     },
     "ha_sync_lagging", Severity::warning, "records dropped from a full queue: 7"},
    {"SyncRecordsRejected",
     [](Snapshot& s) {
       ha_pair(s, cluster::HaState::backup, cluster::HaState::master);
       s.ha.peers[0].sync.rejects.unknown_rule = 3;
     },
     "ha_sync_rejected", Severity::warning, "unknown rule: 3"},
    {"HooksOfEachInterface", on_xdp, "attach_hooks", Severity::info,
     "The packet path runs in XDP on eth0, eth1 (xlbd --attach=xdp)."},
    {"AutoWithSomeTc",
     [](Snapshot& s) {
       s.attach = {AttachRequest::automatic,
                   {{"eth0", AttachHook::xdp}, {"eth1", AttachHook::tc, TcLink::tcx}}};
     },
     "attach_hooks", Severity::info,
     "in XDP on eth0 and at TC ingress (tcx) on eth1 (xlbd --attach=auto)"},
    {"TcOnTcxAndOnClsact",
     [](Snapshot& s) {
       s.attach = {AttachRequest::automatic,
                   {{"eth0", AttachHook::tc, TcLink::tcx}, {"eth1", AttachHook::tc}}};
     },
     "attach_hooks", Severity::info,
     "runs at TC ingress (tcx) on eth0 and at TC ingress (clsact) on eth1 (xlbd"},
    {"XdpSaysHowTheTcProgramBehindItIsAttached",
     [](Snapshot& s) {
       s.attach = {AttachRequest::xdp, {{"eth0", AttachHook::xdp, TcLink::tcx}}};
     },
     "attach_hooks", Severity::info, "eth0: xdp, the TC program behind it on tcx"},
    {"AutoFoundNoXdpDriver",
     [](Snapshot& s) {
       s.attach = {AttachRequest::automatic, {{"eth0", AttachHook::tc}, {"eth1", AttachHook::tc}}};
     },
     "attach_hooks", Severity::info, "found no driver with native XDP"},
    {"VethPeerWithoutNapi",
     [](Snapshot& s) {
       on_xdp(s);
       s.veth_peers[0].xdp = false;
     },
     "veth_peer_no_napi", Severity::warning,
     "ip netns exec sw ip link set dev lb-eth1 xdpdrv obj /usr/lib/xlb/xlb_xdp_pass.bpf.o sec xdp"},
    {"VethPeerWithGroButNoXdpProgram",
     [](Snapshot& s) {
       on_xdp(s);
       s.veth_peers[0].xdp = false;
       s.veth_peers[0].gro = true;
     },
     "veth_peer_no_xdp", Severity::warning, "ARP and ping answers for VIPs"},
    {"VethPeerWithTxChecksumOffload",
     [](Snapshot& s) {
       on_xdp(s);
       s.veth_peers[0].tx_csum = true;
     },
     "veth_peer_tx_csum", Severity::warning, "ip netns exec sw ethtool -K lb-eth1 tx off"},
    {"VethPeerNotChecked",
     [](Snapshot& s) {
       on_xdp(s);
       s.veth_peers[0].checked = false;
       s.veth_peers[0].error = "cannot enter its peer's network namespace: Operation not permitted";
     },
     "veth_peer_unchecked", Severity::info, "Operation not permitted"},
};

INSTANTIATE_TEST_SUITE_P(Findings, AnalyzeCase, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return info.param.name; });

TEST(Analyze, HealthySetupSaysSo) {
  Report r = analyze(healthy());
  EXPECT_TRUE(r.healthy()) << to_json(r).dump(2);
  ASSERT_FALSE(r.findings.empty());
  EXPECT_EQ(r.findings.front().code, "healthy");
  EXPECT_EQ(r.findings.front().title, "10.0.0.100:80/tcp looks healthy.");
  EXPECT_EQ(r.target, "10.0.0.100:80/tcp");
}

TEST(Analyze, APeerWithAnXdpProgramOrGroNeedsNoWarning) {
  Snapshot s = healthy();
  on_xdp(s);
  EXPECT_TRUE(analyze(s).healthy());
  s.veth_peers[0].gro = false;
  s.veth_peers[0].xdp = true;
  EXPECT_TRUE(analyze(s).healthy()) << to_json(analyze(s)).dump(2);
}

TEST(Analyze, TcEverywhereSaysNothingAboutHooks) {
  Snapshot s = healthy();
  s.attach = {AttachRequest::tc, {{"eth0", AttachHook::tc}, {"eth1", AttachHook::tc}}};
  EXPECT_EQ(find(analyze(s), "attach_hooks"), nullptr);
}

TEST(Analyze, AFreshHandshakeIsNotStuck) {
  Snapshot s = healthy();
  flows(s).by_state = {{XLB_CT_SYN_SENT, 1}};  // unanswered stays 0: younger than kStuckAfterS
  EXPECT_TRUE(analyze(s).healthy());
}

TEST(Analyze, AnUnreachableEndpointIsNotBlamedOnNat) {
  Snapshot s = healthy();
  s.net.neighbours[0].state = NeighbourState::failed;
  flows(s).unanswered = 2;
  EXPECT_EQ(find(analyze(s), "nat_replies_bypass"), nullptr);
}

TEST(Analyze, AClientWithoutARouteBackIsNotBlamedOnNat) {
  Snapshot s = healthy();
  flows(s).unanswered = 2;
  flows(s).sample_clients = {"192.168.1.10"};
  s.net.routes[2].found = false;
  Report r = analyze(s);
  EXPECT_NE(find(r, "no_route_client"), nullptr) << to_json(r).dump(2);
  EXPECT_EQ(find(r, "nat_replies_bypass"), nullptr);
}

TEST(Analyze, PacketsPassedForAnUnroutableEndpointAreNotCalledNoTraffic) {
  Snapshot s = healthy();
  rule(s).counter.packets = 0;
  s.flows.clear();
  s.net.routes[0].found = false;
  Report r = analyze(s);
  EXPECT_NE(find(r, "no_route_endpoint"), nullptr) << to_json(r).dump(2);
  EXPECT_EQ(find(r, "no_traffic"), nullptr);
}

TEST(Analyze, NoPacketAtAllIsNoTraffic) {
  Snapshot s = healthy();
  rule(s).counter.packets = 0;
  s.flows.clear();
  EXPECT_NE(find(analyze(s), "no_traffic"), nullptr);
}

// fullproxy rules (IPv4 or IPv6 VIPs): the datapath counts their packets in pass_proxy only, so
// an idle rule counter is no evidence of no traffic while packets were handed to xlb-proxy.
TEST(Analyze, FullproxyTrafficIsJudgedByPassProxy) {
  for (const char* vip : {"10.0.0.100", "2001:db8:f::100"}) {
    Snapshot s = healthy();
    s.query.vip = vip;
    rule(s).service.key.vip = vip;
    rule(s).service.mode = model::Mode::fullproxy;
    rule(s).counter.packets = 0;
    s.flows.clear();
    s.net.checked = false;
    s.counters[XLB_STAT_PASS_PROXY] = 12;
    EXPECT_EQ(find(analyze(s), "no_traffic"), nullptr) << vip;
    s.counters[XLB_STAT_PASS_PROXY] = 0;
    const Report r = analyze(s);
    const Finding* f = find(r, "no_traffic");
    ASSERT_NE(f, nullptr) << vip;
    EXPECT_NE(f->evidence[0].find("pass_proxy = 0"), std::string::npos) << f->evidence[0];
  }
}

TEST(Analyze, DsrRepliesOfAnotherRuleAreNotBlamedOnANatRule) {
  Snapshot s = healthy();
  s.counters[XLB_STAT_PASS_DSR_REPLY] = 7;  // global: some DSR rule elsewhere
  Report r = analyze(s);
  EXPECT_EQ(find(r, "dsr_replies_via_lb"), nullptr);
  EXPECT_TRUE(r.healthy()) << to_json(r).dump(2);
}

TEST(Analyze, DsrPathsAsPredictedOrChangedSinceAreNoMismatch) {
  Snapshot s = healthy();
  dsr(s);
  rule(s).endpoints[0].dsr = {.l2 = 9, .ipip = 0};  // on-link, sent over L2
  rule(s).endpoints[1].dsr = {.l2 = 3, .ipip = 2};  // both: the routes changed at some point
  Report r = analyze(s);
  EXPECT_EQ(find(r, "dsr_path_mismatch"), nullptr) << to_json(r).dump(2);
  EXPECT_TRUE(r.healthy()) << to_json(r).dump(2);
}

TEST(Analyze, SaysWhatItCouldNotCheck) {
  Snapshot s = healthy();
  s.net = NetFacts{};
  s.net.error = "netlink: permission denied";
  Report r = analyze(s);
  EXPECT_NE(to_json(r)["checked"].dump().find("NOT routes and neighbours: netlink: permission "
                                              "denied"),
            std::string::npos);
  EXPECT_EQ(find(r, "not_attached"), nullptr) << "unknown is not the same as none";
}

TEST(Analyze, JsonShape) {
  Snapshot s = healthy();
  s.query.port = 81;
  auto j = to_json(analyze(s));
  EXPECT_EQ(j["healthy"], false);
  EXPECT_EQ(j["target"], "10.0.0.100:81/tcp");
  EXPECT_EQ(j["findings"][0]["severity"], "problem");
  EXPECT_EQ(j["findings"][0]["code"], "no_rule");
  EXPECT_TRUE(j["findings"][0]["evidence"].is_array());
  EXPECT_TRUE(j["checked"].is_array());
}

TEST(Analyze, BothMasterNeedsTheMasterPeerConnected) {
  Snapshot s = healthy();
  ha_pair(s, cluster::HaState::master, cluster::HaState::master, /*connected=*/false);
  Report r = analyze(s);
  EXPECT_EQ(find(r, "ha_both_master"), nullptr) << "a peer not heard from is not MASTER now";
  // What is wrong is the channel, and only that.
  for (const auto& f : r.findings) {
    if (f.severity == Severity::warning || f.severity == Severity::problem) {
      EXPECT_EQ(f.code, "ha_peer_not_connected") << to_json(r).dump(2);
    }
  }
  EXPECT_NE(find(r, "ha_peer_not_connected"), nullptr);
}

TEST(Analyze, ALoneNodeOrADecidedPairSaysNothingAboutHa) {
  Snapshot s = healthy();
  ha_pair(s, cluster::HaState::not_defined, cluster::HaState::backup, true, false);
  s.ha.cluster = false;  // no --cluster: NOT_DEFINED is simply how a lone node runs
  EXPECT_EQ(find(analyze(s), "ha_not_set"), nullptr);
  ha_pair(s, cluster::HaState::master, cluster::HaState::backup);
  Report r = analyze(s);
  for (const auto& f : r.findings) EXPECT_EQ(f.code.rfind("ha_", 0), std::string::npos) << f.code;
}

TEST(Analyze, AStandbyWithoutTrafficIsNotNoTraffic) {
  Snapshot s = healthy();
  rule(s).counter.packets = 0;
  s.flows.clear();
  ha_pair(s, cluster::HaState::backup, cluster::HaState::master);
  Report r = analyze(s);
  EXPECT_EQ(find(r, "no_traffic"), nullptr) << to_json(r).dump(2);
  EXPECT_NE(find(r, "ha_standby"), nullptr);
  EXPECT_TRUE(r.healthy());
}

}  // namespace
}  // namespace xlb::diagnose
