#include "conntrack/flows.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <tuple>
#include <unordered_map>

#include "common/ip.h"
#include "conntrack/tuple.h"

namespace xlb {
namespace {

constexpr std::array<const char*, XLB_CT_STATE_MAX> kStateNames = {
    "syn-sent",  "syn-recv", "est",     "fin-wait", "close-wait",
    "time-wait", "closed",   "udp-new", "udp-est",  "icmp"};

}  // namespace

std::string ct_proto_name(uint8_t proto) {
  switch (proto) {
    case IPPROTO_TCP:
      return "tcp";
    case IPPROTO_UDP:
      return "udp";
    case IPPROTO_ICMP:
      return "icmp";
    case IPPROTO_ICMPV6:
      return "icmpv6";
  }
  return std::to_string(proto);
}

namespace {

std::string action(const xlb_ct_key& key, const xlb_ct_entry& e) {
  bool dnat = e.flags & XLB_CT_F_DNAT;
  bool snat = e.flags & XLB_CT_F_SNAT;
  const uint8_t af = key.family, nat_af = xlb_ct_nat_family(&key, &e);  // differ: NAT64
  std::string ep = format_ip_port(e.nat_daddr, nat_af, ntohs(e.nat_dport));
  if (dnat && snat) {
    return "fnat-" + format_ip(key.saddr, af) + "->" +
           format_ip_port(e.nat_saddr, nat_af, ntohs(e.nat_sport)) + " -> " + ep;
  }
  if (dnat) return "dnat-" + ep;
  if (e.mode == XLB_MODE_DSR)
    return std::string(e.flags & XLB_CT_F_IPIP ? "dsr:ipip-" : "dsr:l2-") +
           format_ip(e.nat_daddr, nat_af);
  return "none";
}

bool matches(const FlowRow& row, const FlowFilter& f) {
  return (f.service.empty() || row.service == f.service) &&
         (f.vip.empty() || row.dest_ip == f.vip) && (f.client.empty() || row.src_ip == f.client);
}

}  // namespace

std::string ct_state_name(uint8_t state) {
  return state < kStateNames.size() ? kStateNames[state] : "unknown";
}

Result<void> for_each_flow_row(const ConntrackReader& conntrack, const RuleNameOf& rule_name,
                               const FlowFilter& filter,
                               const std::function<bool(const FlowRow&)>& fn) {
  // Rule names per id, looked up once per walk rather than once per flow.
  std::unordered_map<uint32_t, std::optional<std::string>> names;
  return conntrack.for_each_flow([&](const CtFlow& f) {
    const xlb_ct_key& key = f.key;
    const xlb_ct_entry& e = f.entry;
    if (e.dir != XLB_DIR_ORIG) return true;
    FlowRow row;
    row.dest_ip = format_ip(key.daddr, key.family);
    row.src_ip = format_ip(key.saddr, key.family);
    row.dport = ntohs(key.dport);
    row.sport = ntohs(key.sport);
    row.proto = ct_proto_name(key.proto);
    auto name = names.find(e.svc_id);
    if (name == names.end()) name = names.emplace(e.svc_id, rule_name(e.svc_id)).first;
    // A flow can outlive its rule (deleted rule, established flow): name it by its tuple.
    row.service =
        name->second ? *name->second : ip_with_port(row.dest_ip, row.dport) + "/" + row.proto;
    if (!matches(row, filter)) return true;
    row.state = ct_state_name(e.state);
    row.act = action(key, e);
    row.packets = e.packets;
    row.bytes = e.bytes;
    row.synced = e.flags & XLB_CT_F_SYNCED;
    if (auto reply = conntrack.lookup_flow(peer_key(key, e)); reply && *reply) {
      row.packets += (*reply)->packets;
      row.bytes += (*reply)->bytes;
    }
    return fn(row);
  });
}

Result<std::vector<FlowRow>> list_flows(const ConntrackReader& conntrack,
                                        const RuleNameOf& rule_name, const FlowFilter& filter) {
  std::vector<FlowRow> rows;
  XLB_TRY(for_each_flow_row(conntrack, rule_name, filter, [&rows](const FlowRow& row) {
    rows.push_back(row);
    return true;
  }));
  std::sort(rows.begin(), rows.end(), [](const FlowRow& a, const FlowRow& b) {
    auto rank = [](const FlowRow& r) {
      return std::tuple(r.service, ip_sort_key(r.dest_ip), r.dport, r.proto, ip_sort_key(r.src_ip),
                        r.sport);
    };
    return rank(a) < rank(b);
  });
  return rows;
}

nlohmann::json to_json(const FlowRow& row) {
  return nlohmann::json{
      {"service", row.service}, {"dest_ip", row.dest_ip}, {"src_ip", row.src_ip},
      {"dport", row.dport},     {"sport", row.sport},     {"proto", row.proto},
      {"state", row.state},     {"act", row.act},         {"packets", row.packets},
      {"bytes", row.bytes},     {"synced", row.synced}};
}

}  // namespace xlb
