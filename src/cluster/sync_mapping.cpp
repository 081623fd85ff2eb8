#include "cluster/sync_mapping.h"

#include <netinet/in.h>

namespace xlb::cluster {
namespace {

constexpr uint64_t kNsPerSecond = 1000000000ull;

uint32_t age_seconds(uint64_t now_ns, uint64_t then_ns) {
  const uint64_t age = now_ns > then_ns ? (now_ns - then_ns) / kNsPerSecond : 0;
  return static_cast<uint32_t>(std::min<uint64_t>(age, wire::kMaxAgeSeconds));
}

uint64_t ns_ago(uint64_t now_ns, uint32_t seconds) {
  const uint64_t back = uint64_t{seconds} * kNsPerSecond;
  return now_ns > back ? now_ns - back : 0;
}

bool synced_protocol(uint8_t proto) { return proto == IPPROTO_TCP || proto == IPPROTO_UDP; }
bool synced_family(uint8_t family) { return family == XLB_AF_INET || family == XLB_AF_INET6; }

void fill_record_key(wire::SyncRecord& r, const xlb_ct_key& key) {
  r.family = key.family;
  r.proto = key.proto;
  r.client = key.saddr;
  r.client_port = ntohs(key.sport);
  r.vip = key.daddr;
  r.vip_port = ntohs(key.dport);
}

}  // namespace

std::optional<wire::SyncRecord> flow_record(const xlb_ct_key& key, const xlb_ct_entry& orig,
                                            uint64_t now_ns) {
  if (orig.dir != XLB_DIR_ORIG || !synced_family(key.family) || !synced_protocol(key.proto))
    return std::nullopt;
  switch (orig.state) {
    case XLB_CT_SYN_SENT:
    case XLB_CT_SYN_RECV:
    case XLB_CT_TIME_WAIT:
    case XLB_CT_CLOSED:
      return std::nullopt;
    default:
      break;
  }
  wire::SyncRecord r;
  r.kind = wire::SyncRecord::Kind::flow;
  fill_record_key(r, key);
  r.endpoint = orig.nat_daddr;
  // DSR keeps the port (its endpoints listen on the rule's port); NAT translates it.
  r.endpoint_port = ntohs((orig.flags & XLB_CT_F_DNAT) ? orig.nat_dport : key.dport);
  if (orig.flags & XLB_CT_F_SNAT) {
    r.snat = orig.nat_saddr;
    r.snat_port = ntohs(orig.nat_sport);
  }
  r.mode = orig.mode;
  r.state = orig.state;
  r.flags = orig.flags & wire::synced_flag_mask();
  r.seen = orig.seen & (XLB_CT_SEEN_SEQ | XLB_CT_SEEN_RST);
  r.seq_next = orig.seq_next;
  r.ppv2_seq = orig.ppv2_seq;
  r.ppv2_len = orig.ppv2_len;
  r.ppv2_flags = orig.ppv2_flags & (XLB_PPV2_F_ON | XLB_PPV2_F_ACKED);
  r.created_age_s = age_seconds(now_ns, orig.created_ns);
  r.age_s = std::min(age_seconds(now_ns, orig.last_seen_ns), r.created_age_s);
  return r;
}

std::optional<wire::SyncRecord> closed_record(const xlb_ct_key& key) {
  if (!synced_family(key.family) || !synced_protocol(key.proto)) return std::nullopt;
  wire::SyncRecord r;
  r.kind = wire::SyncRecord::Kind::closed;
  fill_record_key(r, key);
  return r;
}

xlb_ct_key record_key(const wire::SyncRecord& r) {
  xlb_ct_key key{};
  key.saddr = r.client;
  key.daddr = r.vip;
  key.sport = htons(r.client_port);
  key.dport = htons(r.vip_port);
  key.proto = r.proto;
  key.family = r.family;
  return key;
}

RuleIndex::RuleIndex(const std::vector<std::pair<xlb_svc_key, xlb_svc>>& services) {
  for (const auto& [key, svc] : services) {
    if (!synced_family(key.family)) continue;
    rules_.emplace(std::make_tuple(key.family, key.vip.w[0], key.vip.w[1], key.vip.w[2],
                                   key.vip.w[3], ntohs(key.port), key.proto),
                   svc);
  }
}

const xlb_svc* RuleIndex::find(uint8_t family, const xlb_ip& vip, uint16_t port,
                               uint8_t proto) const {
  auto it = rules_.find({family, vip.w[0], vip.w[1], vip.w[2], vip.w[3], port, proto});
  return it == rules_.end() ? nullptr : &it->second;
}

void count_reject(SyncRejects& rejects, SyncRejectReason reason) {
  switch (reason) {
    case SyncRejectReason::unknown_rule:
      ++rejects.unknown_rule;
      break;
    case SyncRejectReason::rule_differs:
      ++rejects.rule_differs;
      break;
    case SyncRejectReason::unknown_endpoint:
      ++rejects.unknown_endpoint;
      break;
    case SyncRejectReason::conflict:
      ++rejects.conflict;
      break;
    case SyncRejectReason::datapath:
      ++rejects.datapath;
      break;
  }
}

std::variant<MappedFlow, SyncRejectReason> map_flow_record(const wire::SyncRecord& r,
                                                           const RuleIndex& rules,
                                                           uint64_t now_ns) {
  const xlb_svc* svc = rules.find(r.family, r.vip, r.vip_port, r.proto);
  if (!svc) return SyncRejectReason::unknown_rule;
  if (svc->mode != r.mode) return SyncRejectReason::rule_differs;
  if ((r.flags & XLB_CT_F_SNAT) && svc->nr_snat > 0) {
    bool listed = false;
    for (uint8_t i = 0; i < svc->nr_snat && i < XLB_MAX_SNAT; ++i)
      listed = listed || svc->snat[i] == r.snat;
    // The endpoint answers the SNAT address: one this node's rule does not use is not ours.
    if (!listed) return SyncRejectReason::rule_differs;
  }
  uint32_t ep_idx = XLB_MAX_ENDPOINTS;
  for (uint32_t i = 0; i < svc->nr_endpoints && i < XLB_MAX_ENDPOINTS; ++i) {
    if (svc->eps[i].addr == r.endpoint && ntohs(svc->eps[i].port) == r.endpoint_port) {
      ep_idx = i;
      break;
    }
  }
  if (ep_idx == XLB_MAX_ENDPOINTS) return SyncRejectReason::unknown_endpoint;

  MappedFlow out{record_key(r), xlb_ct_entry{}};
  xlb_ct_entry& e = out.orig;
  e.dir = XLB_DIR_ORIG;
  e.state = r.state;
  e.mode = r.mode;
  e.flags = static_cast<uint8_t>(r.flags | XLB_CT_F_SYNCED);
  e.svc_id = svc->id;
  e.ep_idx = static_cast<uint16_t>(ep_idx);
  e.nat_daddr = r.endpoint;
  // NAT64: the record's addresses are all in IPv6 slots; this node's rule knows the endpoint is
  // IPv4 (its own endpoint and SNAT addresses), so the flow translates to IPv4 here too.
  const uint8_t ep_family = svc->eps[ep_idx].family;
  if (ep_family != r.family && (ep_family == XLB_AF_INET || ep_family == XLB_AF_INET6))
    e.nat_family = ep_family;
  if (r.flags & XLB_CT_F_DNAT) e.nat_dport = htons(r.endpoint_port);
  if (r.flags & XLB_CT_F_SNAT) {
    e.nat_saddr = r.snat;
    e.nat_sport = htons(r.snat_port);
  }
  e.created_ns = ns_ago(now_ns, r.created_age_s);
  e.last_seen_ns = ns_ago(now_ns, r.age_s);
  e.ppv2_seq = r.ppv2_seq;
  e.ppv2_len = r.ppv2_len;
  e.ppv2_flags = r.ppv2_flags;
  e.seq_next = r.seq_next;
  e.seen = r.seen;
  return out;
}

}  // namespace xlb::cluster
