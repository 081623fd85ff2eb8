#include "metrics/exposition.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <array>
#include <chrono>
#include <span>
#include <tuple>
#include <utility>
#include <vector>

#include "common/ip.h"
#include "metrics/l7.h"
#include "metrics/verdicts.h"
#include "model/enum_names.h"

extern "C" {
#include "xlb/abi/stats.h"
}

namespace xlb::metrics {
namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Labels;
using prometheus::Registry;

Family<Counter>& counter(Registry& r, const std::string& name, const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r);
}
Family<Gauge>& gauge(Registry& r, const std::string& name, const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r);
}

// Packets, bytes, new flows and active flows of one rule or one endpoint.
struct TrafficFamilies {
  Family<Counter>& packets;
  Family<Counter>& bytes;
  Family<Counter>& new_flows;
  Family<Gauge>& active_flows;

  TrafficFamilies(Registry& r, const std::string& prefix, const std::string& of)
      : packets(counter(r, prefix + "_packets_total",
                        "Packets forwarded for " + of + ", both directions through xlb")),
        bytes(
            counter(r, prefix + "_bytes_total",
                    "Bytes (whole frames) forwarded for " + of + ", both directions through xlb")),
        new_flows(counter(r, prefix + "_new_flows_total", "Flows started on " + of)),
        active_flows(gauge(r, prefix + "_active_flows", "Flows of " + of + " in conntrack")) {}

  void add(const Labels& labels, const xlb_counter& c, uint64_t active) {
    packets.Add(labels).Increment(static_cast<double>(c.packets));
    bytes.Add(labels).Increment(static_cast<double>(c.bytes));
    new_flows.Add(labels).Increment(static_cast<double>(c.new_flows));
    active_flows.Add(labels).Set(static_cast<double>(active));
  }
};

// DSR packets by the way the datapath sent them (path="l2" or "ipip"): what it did, beside the
// mode `get lb -o wide` predicts.
struct DsrPathFamily {
  Family<Counter>& packets;

  DsrPathFamily(Registry& r, const std::string& prefix, const std::string& of)
      : packets(counter(r, prefix + "_dsr_packets_total",
                        "DSR packets sent to " + of +
                            ", by path: l2 (MACs rewritten) or ipip "
                            "(tunnelled)")) {}

  void add(const Labels& labels, const xlb_dsr_counter& c) {
    for (const auto& [path, n] : {std::pair{"l2", c.l2}, std::pair{"ipip", c.ipip}}) {
      Labels with_path = labels;
      with_path["path"] = path;
      packets.Add(with_path).Increment(static_cast<double>(n));
    }
  }
};

// One gauge per possible state, 1 for the current one (the Prometheus "state set" idiom), so
// a dashboard can count endpoints by state without knowing the numbers behind them.
void add_state_set(Family<Gauge>& family, const Labels& base,
                   std::span<const std::string_view> states, std::string_view current) {
  for (std::string_view state : states) {
    Labels labels = base;
    labels["state"] = std::string(state);
    family.Add(labels).Set(state == current ? 1 : 0);
  }
}

Labels rule_labels(const ServiceStatus& rule) {
  const model::Service& svc = rule.service;
  return {{"rule", model::display_name(svc)},
          {"vip", svc.key.vip},
          {"port", std::to_string(svc.key.port)},
          {"protocol", model::to_string(svc.key.protocol)}};
}

void add_rules(Registry& r, const std::vector<ServiceStatus>& rules) {
  TrafficFamilies rule_traffic(r, "xlb_rule", "the rule");
  TrafficFamilies endpoint_traffic(r, "xlb_endpoint", "the endpoint in the rule");
  DsrPathFamily rule_dsr(r, "xlb_rule", "the rule's endpoints");
  DsrPathFamily endpoint_dsr(r, "xlb_endpoint", "the endpoint for the rule");
  auto& admin = gauge(r, "xlb_endpoint_admin_state",
                      "Operator state of the endpoint (up, down, draining): 1 for the current one");
  auto& health = gauge(r, "xlb_endpoint_health_state",
                       "Health-check state of endpoints of rules with monitor (ok, down, "
                       "unknown): 1 for the current one");
  auto& rule_count = gauge(r, "xlb_rules", "Load-balancer rules configured");
  rule_count.Add({}).Set(static_cast<double>(rules.size()));

  static const std::vector<std::string_view> kAdminStates = [] {
    std::vector<std::string_view> names;
    for (const auto& e : model::kEndpointStateNames) names.push_back(e.name);
    return names;
  }();
  // The values of EndpointHealth::state.
  static constexpr std::array<std::string_view, 3> kHealthStates = {"ok", "down", "unknown"};
  for (const ServiceStatus& rule : rules) {
    const Labels labels = rule_labels(rule);
    const bool dsr = rule.service.mode == model::Mode::dsr;
    uint64_t rule_active = 0;
    for (const EndpointStatus& ep : rule.endpoints) {
      Labels ep_labels = labels;
      ep_labels["endpoint"] = ip_with_port(ep.endpoint.ip, ep.endpoint.port);
      endpoint_traffic.add(ep_labels, ep.counter, ep.active_flows);
      if (dsr) endpoint_dsr.add(ep_labels, ep.dsr);
      rule_active += ep.active_flows;
      add_state_set(admin, ep_labels, kAdminStates, model::to_string(ep.endpoint.state));
      if (ep.health)
        add_state_set(health, ep_labels, kHealthStates, health::to_string(ep.health->state));
    }
    rule_traffic.add(labels, rule.counter, rule_active);
    if (dsr) rule_dsr.add(labels, rule.dsr);
  }
}

void add_verdicts(Registry& r, const std::vector<uint64_t>& verdicts) {
  auto& packets = counter(r, "xlb_datapath_packets_total",
                          "Packets seen by the datapath, by verdict (pass, drop, forward, reply) "
                          "and reason");
  for (size_t i = 0; i < verdicts.size() && i < XLB_STAT_MAX; ++i) {
    if (i == XLB_STAT_FLOW_EVENTS_LOST) continue;  // counts ring records, not packets
    VerdictLabels v = verdict_labels(xlb_dp_stat_names[i]);
    packets.Add({{"verdict", v.verdict}, {"reason", v.reason}})
        .Increment(static_cast<double>(verdicts[i]));
  }
  counter(r, "xlb_datapath_flow_events_lost_total",
          "Conntrack sync flow events the datapath dropped because its ring buffer was full "
          "(the refresh of live flows heals them)")
      .Add({})
      .Increment(verdicts.size() > XLB_STAT_FLOW_EVENTS_LOST
                     ? static_cast<double>(verdicts[XLB_STAT_FLOW_EVENTS_LOST])
                     : 0);
}

void add_conntrack(Registry& r, const std::optional<CtSummary>& summary, uint32_t capacity,
                   uint32_t syn_capacity) {
  gauge(r, "xlb_conntrack_capacity_entries",
        "Conntrack map size in entries (a flow takes two: orig and reply)")
      .Add({})
      .Set(summary ? summary->capacity : capacity);
  gauge(r, "xlb_conntrack_syn_capacity_entries",
        "Size in entries of the conntrack map for TCP handshakes under way")
      .Add({})
      .Set(summary ? summary->syn_capacity : syn_capacity);
  if (!summary) return;  // not walked yet: entries unknown, and the datapath is not walked here
  gauge(r, "xlb_conntrack_entries", "Conntrack entries in use at the latest aging pass")
      .Add({})
      .Set(static_cast<double>(summary->entries));
  gauge(r, "xlb_conntrack_syn_entries",
        "Entries of TCP handshakes under way at the latest aging pass (a SYN flood fills these)")
      .Add({})
      .Set(static_cast<double>(summary->syn_entries));
  auto& by_state =
      gauge(r, "xlb_conntrack_flows", "Tracked flows by state, at the latest aging pass");
  for (const auto& [state, n] : summary->flows_by_state) {
    by_state.Add({{"state", state}}).Set(static_cast<double>(n));
  }
  auto& by_proto = gauge(r, "xlb_conntrack_protocol_flows",
                         "Tracked flows by protocol, at the latest aging pass");
  for (const auto& [proto, n] : summary->flows_by_proto) {
    by_proto.Add({{"protocol", proto}}).Set(static_cast<double>(n));
  }
  auto& snat = gauge(r, "xlb_snat_ports_in_use",
                     "FullNAT source ports in use per SNAT address, at the latest aging pass");
  for (const auto& [address, n] : summary->snat_ports) {
    snat.Add({{"address", address}}).Set(static_cast<double>(n));
  }
}

// Conntrack sync with each peer (docs/ha.md): records each way, rejects by reason, lag.
void add_ct_sync(Registry& r, const std::vector<cluster::PeerStatus>& peers) {
  auto& lag = gauge(r, "xlb_cluster_sync_lag_seconds",
                    "How long the oldest flow record queued for the peer has waited (0: none)");
  auto& peer_lag = gauge(r, "xlb_cluster_sync_peer_lag_seconds",
                         "How long the oldest record of the peer's last batch waited there");
  auto& sent = counter(r, "xlb_cluster_sync_records_sent_total",
                       "Conntrack sync records sent to the peer, by kind (flow, closed)");
  auto& received = counter(r, "xlb_cluster_sync_records_received_total",
                           "Conntrack sync records from the peer written here, by kind");
  auto& rejected = counter(r, "xlb_cluster_sync_records_rejected_total",
                           "Records from the peer not written, by reason (unknown_rule, "
                           "rule_differs, unknown_endpoint, conflict, datapath)");
  auto& dropped = counter(r, "xlb_cluster_sync_queue_dropped_total",
                          "Records not queued for the peer because its queue was full");
  auto& resync = gauge(r, "xlb_cluster_sync_last_full_resync_timestamp_seconds",
                       "When the peer's last full dump to this node completed (0: never)");
  for (const auto& peer : peers) {
    if (!peer.sync.enabled) continue;
    const auto& s = peer.sync;
    const Labels labels{{"peer", peer.address}};
    lag.Add(labels).Set(s.lag_seconds);
    peer_lag.Add(labels).Set(s.peer_lag_seconds);
    for (const auto& [kind, out, in] : {std::tuple{"flow", s.flows_sent, s.flows_received},
                                        std::tuple{"closed", s.closed_sent, s.closed_received}}) {
      sent.Add({{"peer", peer.address}, {"kind", kind}}).Increment(static_cast<double>(out));
      received.Add({{"peer", peer.address}, {"kind", kind}}).Increment(static_cast<double>(in));
    }
    for (const auto& [reason, n] :
         {std::pair{"unknown_rule", s.rejects.unknown_rule},
          std::pair{"rule_differs", s.rejects.rule_differs},
          std::pair{"unknown_endpoint", s.rejects.unknown_endpoint},
          std::pair{"conflict", s.rejects.conflict}, std::pair{"datapath", s.rejects.datapath}}) {
      rejected.Add({{"peer", peer.address}, {"reason", reason}}).Increment(static_cast<double>(n));
    }
    dropped.Add(labels).Increment(static_cast<double>(s.queue_dropped));
    resync.Add(labels).Set(
        s.last_full_resync
            ? std::chrono::duration<double>(s.last_full_resync->time_since_epoch()).count()
            : 0);
  }
}

// HA: the state of each instance (a state set), its transitions, and the peer channel.
void add_ha(Registry& r, const cluster::HaStatus& ha) {
  auto& state = gauge(r, "xlb_ha_state",
                      "HA state of the instance (MASTER, BACKUP, FAULT, NOT_DEFINED): 1 for the "
                      "current one");
  auto& transitions =
      counter(r, "xlb_ha_transitions_total", "HA state changes of the instance since xlbd started");
  static const std::vector<std::string_view> kHaStates = [] {
    std::vector<std::string_view> names;
    for (auto s : cluster::all_ha_states()) names.push_back(cluster::ha_state_name(s));
    return names;
  }();
  for (const auto& instance : ha.instances) {
    const Labels labels{{"instance", instance.name}};
    add_state_set(state, labels, kHaStates, cluster::ha_state_name(instance.state));
    transitions.Add(labels).Increment(static_cast<double>(instance.transitions));
  }
  if (!ha.cluster) return;
  auto& connected = gauge(r, "xlb_cluster_peer_connected",
                          "1 while the --cluster peer's authenticated channel to this node is up");
  for (const auto& peer : ha.peers) {
    connected.Add({{"peer", peer.address}}).Set(peer.connected ? 1 : 0);
  }
  add_ct_sync(r, ha.peers);
  auto& rejected = counter(r, "xlb_cluster_rejected_connections_total",
                           "Connections the cluster port refused, by reason (address: not a "
                           "--cluster address; handshake: no or another key; malformed; version)");
  for (const auto& [reason, n] :
       {std::pair{"address", ha.rejects.address}, std::pair{"handshake", ha.rejects.handshake},
        std::pair{"malformed", ha.rejects.malformed}, std::pair{"version", ha.rejects.version}}) {
    rejected.Add({{"reason", reason}}).Increment(static_cast<double>(n));
  }
}

void add_daemon(Registry& r, uint64_t errors) {
  counter(r, "xlb_control_plane_errors_total",
          "Control-plane errors (error-level log events) since xlbd started")
      .Add({})
      .Increment(static_cast<double>(errors));
  gauge(r, "xlb_build_info", "Always 1; the labels name the xlbd build")
      .Add({{"version", XLB_VERSION}})
      .Set(1);
}

// xlbd --attach, and the hook each managed interface runs the packet path on (with auto they
// may differ, and an xdp interface counts its packets in the same verdicts as a tc one).
void add_attach(Registry& r, const AttachStatus& attach) {
  gauge(r, "xlb_attach_requested_info", "Always 1; the label is xlbd --attach (tc, xdp or auto)")
      .Add({{"requested", std::string(attach_request_name(attach.requested))}})
      .Set(1);
  auto& hooks = gauge(r, "xlb_interface_hook_info",
                      "Always 1 per managed interface; hook: where its packet path runs (tc, or "
                      "xdp with tc behind it)");
  for (const auto& a : attach.interfaces) {
    hooks.Add({{"interface", a.ifname}, {"hook", std::string(attach_hook_name(a.hook))}}).Set(1);
  }
}

// The store the configuration lives in (file or etcd): connected, revisions, refusals.
void add_store(Registry& r, const std::optional<StoreStatus>& store) {
  if (!store) return;
  const Labels labels{{"store", store->kind}};
  gauge(r, "xlb_store_connected",
        "1 while the configuration store answers (always for the file store); 0: reads are stale")
      .Add(labels)
      .Set(store->connected ? 1 : 0);
  if (!store->shared()) return;
  gauge(r, "xlb_store_applied_revision", "The etcd revision whose configuration this node runs")
      .Add(labels)
      .Set(static_cast<double>(store->applied_revision));
  gauge(r, "xlb_store_refused_revision",
        "The etcd revision this node refuses to apply now (0: none)")
      .Add(labels)
      .Set(static_cast<double>(store->refused_revision));
  counter(r, "xlb_store_refused_revisions_total",
          "etcd revisions this node refused to apply since it started")
      .Add(labels)
      .Increment(static_cast<double>(store->refused_total));
}

}  // namespace

std::string render(const ScrapeInput& input, const LiveMetrics* live) {
  Registry registry;
  add_rules(registry, input.rules);
  add_verdicts(registry, input.verdicts);
  add_conntrack(registry, input.conntrack, input.ct_capacity, input.ct_syn_capacity);
  add_ha(registry, input.ha);
  add_daemon(registry, input.control_plane_errors);
  if (input.l7) add_l7(registry, *input.l7, input.rules);
  add_store(registry, input.store);
  add_attach(registry, input.attach);

  std::vector<prometheus::MetricFamily> families = registry.Collect();
  if (live) {
    auto more = live->collect();
    families.insert(families.end(), std::make_move_iterator(more.begin()),
                    std::make_move_iterator(more.end()));
  }
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace xlb::metrics
