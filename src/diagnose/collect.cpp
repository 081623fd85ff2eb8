#include "diagnose/collect.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <set>

#include "common/ip.h"
#include "common/quote.h"
#include "conntrack/flows.h"
#include "conntrack/tuple.h"
#include "reconcile/abi.h"

namespace xlb::diagnose {
namespace {

void add_sample(std::vector<std::string>& samples, const std::string& client) {
  if (samples.size() < kClientSamples &&
      std::find(samples.begin(), samples.end(), client) == samples.end()) {
    samples.push_back(client);
  }
}

bool flow_matches(const Query& q, const IpAddress& vip, const CtFlow& f) {
  if (f.entry.dir != XLB_DIR_ORIG || f.key.family != vip.family || !(f.key.daddr == vip.addr))
    return false;
  if (q.port && ntohs(f.key.dport) != *q.port) return false;
  if (q.protocol) {
    const uint8_t proto = *q.protocol == model::Protocol::tcp ? IPPROTO_TCP : IPPROTO_UDP;
    if (f.key.proto != proto) return false;
  }
  return true;
}

// Folds one orig entry (and its reply entry, when there is one) into its endpoint's tally.
void fold(const ConntrackReader& conntrack, const CtFlow& f, uint64_t now_ns,
          std::map<std::pair<std::string, uint16_t>, EndpointFlows>& out) {
  const xlb_ct_entry& e = f.entry;
  const bool dsr = e.mode == XLB_MODE_DSR;
  const std::string ep = format_ip(e.nat_daddr, f.key.family);
  const uint16_t port = ntohs(dsr ? f.key.dport : e.nat_dport);
  EndpointFlows& ef = out[{ep, port}];
  ef.endpoint = ep;
  ef.port = port;
  ef.mode = mode_from_abi(e.mode);
  ++ef.flows;
  ++ef.by_state[static_cast<xlb_ct_state>(e.state)];
  const std::string client = format_ip(f.key.saddr, f.key.family);
  add_sample(ef.clients, client);

  std::optional<xlb_ct_entry> reply;
  if (!dsr) {
    if (auto r = conntrack.lookup_flow(peer_key(f.key, e)); r.ok()) reply = *r;
  }
  const double age_s = now_ns > e.created_ns ? (now_ns - e.created_ns) / 1e9 : 0;
  const bool tcp = f.key.proto == IPPROTO_TCP;
  const bool nothing_back = dsr || !reply || reply->packets == 0;
  if (tcp && e.state == XLB_CT_SYN_SENT && nothing_back && age_s >= kStuckAfterS) {
    ++ef.unanswered;
    ef.oldest_unanswered_s = std::max(ef.oldest_unanswered_s, age_s);
    add_sample(ef.sample_clients, client);
  }
  // The endpoint sent RSTs and never a sequence number: it refused the connection.
  if (tcp && reply && (reply->seen & XLB_CT_SEEN_RST) && !(reply->seen & XLB_CT_SEEN_SEQ)) {
    ++ef.refused;
    add_sample(ef.sample_clients, client);
  }
}

}  // namespace

Result<Query> parse_query(const std::string& vip, const std::string& port,
                          const std::string& proto) {
  Query q;
  auto ip = parse_ip(vip);
  if (!ip) {
    return invalid("vip",
                   "vip must be an IPv4 or IPv6 address such as 20.20.20.1 or 2001:db8::100, "
                   "got " +
                       xlb::quoted(vip));
  }
  q.vip = format_ip(*ip);  // rules hold the RFC 5952 form
  if (!port.empty()) {
    int n = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
    if (ec != std::errc{} || end != port.data() + port.size() || n < 1 || n > 65535) {
      return invalid("port", "port must be a number from 1 to 65535, got " + xlb::quoted(port));
    }
    q.port = static_cast<uint16_t>(n);
  }
  if (!proto.empty()) {
    auto p = model::parse_protocol(proto);
    if (!p) return invalid("proto", "proto must be tcp or udp, got " + xlb::quoted(proto));
    q.protocol = *p;
  }
  return q;
}

Result<Snapshot> collect(const Sources& src, const Query& query, uint64_t now_ns) {
  Snapshot s;
  s.query = query;
  std::set<std::string> other;
  for (auto& st : src.status.rules()) {
    if (st.service.key.vip == query.vip) {
      s.rules_on_vip.push_back(std::move(st));
    } else {
      other.insert(st.service.key.vip);
    }
  }
  if (s.rules_on_vip.empty()) s.other_vips.assign(other.begin(), other.end());

  auto counters = src.status.verdicts();
  if (!counters) return counters.error();
  // A datapath older than this build may count fewer verdicts: the rest stay 0.
  std::copy_n(counters->begin(), std::min(counters->size(), s.counters.size()), s.counters.begin());

  const IpAddress vip = *parse_ip(query.vip);
  std::map<std::pair<std::string, uint16_t>, EndpointFlows> folded;
  // The summary comes from the aging pass; only before the first pass is it built here too.
  const ConntrackReader& conntrack = src.status.conntrack();
  const std::optional<CtSummary> latest = src.status.latest_ct_summary();
  std::optional<CtSummaryBuilder> summary;
  if (!latest) summary.emplace(conntrack);
  XLB_TRY(conntrack.for_each_flow([&](const CtFlow& f) {
    if (summary) summary->add(f);
    if (flow_matches(query, vip, f)) fold(conntrack, f, now_ns, folded);
    return true;
  }));
  s.conntrack = summary ? std::optional(summary->finish(now_ns)) : latest;
  for (auto& [key, ef] : folded) s.flows.push_back(std::move(ef));

  std::vector<std::string> route_to, neighbours_of;
  auto add_unique = [](std::vector<std::string>& v, const std::string& ip) {
    if (std::find(v.begin(), v.end(), ip) == v.end()) v.push_back(ip);
  };
  for (const auto& st : s.rules_on_vip) {
    if (!query.matches(st.service.key)) continue;
    for (const auto& ep : st.endpoints) {
      add_unique(route_to, ep.endpoint.ip);
      add_unique(neighbours_of, ep.endpoint.ip);
    }
  }
  for (const auto& ef : s.flows) {
    for (const auto& c : ef.clients) add_unique(route_to, c);
  }
  if (src.net_facts) s.net = src.net_facts(src.status.interfaces(), route_to, neighbours_of);
  s.ha = src.ha;
  s.attach = src.status.attach_status();
  std::vector<std::string> on_xdp;
  for (const auto& a : s.attach.interfaces) {
    if (a.hook == AttachHook::xdp) on_xdp.push_back(a.ifname);
  }
  if (src.veth_peers && !on_xdp.empty()) s.veth_peers = src.veth_peers(on_xdp);
  return s;
}

}  // namespace xlb::diagnose
