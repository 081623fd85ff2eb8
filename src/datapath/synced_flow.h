// Conntrack sync, what every Datapath does alike with a flow learnt from the HA peer: which
// calls it refuses, the reply entry it derives (xlb_ct_reply_entry, which the BPF start_*_flow
// functions use for a new flow), which flows count as active, and which port ranges a node may
// allocate. BpfDatapath and FakeDatapath use these same functions, so the contract tests hold
// both to them.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>

#include "common/result.h"

extern "C" {
#include "xlb/abi/xlb.h"
}

namespace xlb {

inline Result<void> check_snat_port_range(uint16_t lo, uint16_t hi) {
  if (lo >= XLB_SNAT_PORT_MIN && hi <= XLB_SNAT_PORT_MAX && lo <= hi) return Ok{};
  return invalid("snat_port_range",
                 "the SNAT port range must lie within " + std::to_string(XLB_SNAT_PORT_MIN) + "-" +
                     std::to_string(XLB_SNAT_PORT_MAX) + " with low <= high, got " +
                     std::to_string(lo) + "-" + std::to_string(hi));
}

// A synced flow's key and orig entry must be one the datapath itself could have written: an
// IPv4 or IPv6 TCP or UDP client tuple (an IPv4 address in the first word only), an orig entry of a
// known mode and state whose translation that mode makes, and a rule id and endpoint index this
// node has room for.
inline Result<void> check_synced_flow(const xlb_ct_key& key, const xlb_ct_entry& e,
                                      uint32_t max_services) {
  auto bad = [](const std::string& what) {
    return invalid("flow", "a synced flow must be " + what);
  };
  if ((key.family != XLB_AF_INET && key.family != XLB_AF_INET6) || key.pad != 0)
    return bad("an IPv4 or IPv6 tuple (family 2 or 10, pad 0)");
  if (key.family == XLB_AF_INET && (key.saddr.w[1] | key.saddr.w[2] | key.saddr.w[3] |
                                    key.daddr.w[1] | key.daddr.w[2] | key.daddr.w[3]) != 0)
    return bad("an IPv4 tuple whose addresses use their first 4 bytes only");
  if (key.proto != 6 && key.proto != 17) return bad("TCP or UDP");
  if (e.dir != XLB_DIR_ORIG) return bad("an orig (client-side) entry");
  const bool tcp_state = e.state <= XLB_CT_CLOSED;
  const bool udp_state = e.state == XLB_CT_UDP_NEW || e.state == XLB_CT_UDP_EST;
  if (key.proto == 6 ? !tcp_state : !udp_state)
    return bad("in a state of its protocol, got state " + std::to_string(e.state));
  const uint8_t translation = e.flags & (XLB_CT_F_DNAT | XLB_CT_F_SNAT);
  const bool mode_ok =
      (e.mode == XLB_MODE_NAT && translation == XLB_CT_F_DNAT) ||
      (e.mode == XLB_MODE_FULLNAT && translation == (XLB_CT_F_DNAT | XLB_CT_F_SNAT)) ||
      (e.mode == XLB_MODE_DSR && translation == 0);
  if (!mode_ok)
    return bad("translated as its mode translates (NAT: DNAT, FullNAT: both, DSR: none)");
  // NAT64 (FullNAT from IPv6 to IPv4) is the one translation that changes family.
  if (e.nat_family != 0 &&
      !(e.mode == XLB_MODE_FULLNAT && key.family == XLB_AF_INET6 && e.nat_family == XLB_AF_INET))
    return bad("of its key's family, or FullNAT from IPv6 to IPv4 (NAT64)");
  if (e.svc_id >= max_services || e.ep_idx >= XLB_MAX_ENDPOINTS)
    return bad("of a rule id below --max-services and an endpoint index below 32");
  return Ok{};
}

// Whether a flow in `state` counts in its endpoint's active flows: from its first packet until
// it closes, as the datapath counts a flow it starts.
inline bool synced_flow_counts(uint8_t state) {
  return state != XLB_CT_TIME_WAIT && state != XLB_CT_CLOSED;
}

// The reply entry (endpoint -> client) of orig entry `e` under client tuple `key`: the one the
// datapath writes for a new flow, from the same definition (xlb_ct_reply_entry); its key is
// xlb_ct_peer_key(key, e). DSR has none.
inline std::optional<xlb_ct_entry> synced_reply_entry(const xlb_ct_key& key,
                                                      const xlb_ct_entry& e) {
  if (!xlb_ct_has_reply(&e)) return std::nullopt;
  xlb_ct_entry r;
  xlb_ct_reply_entry(&key, &e, &r);
  return r;
}

// The orig entry written for a flow this node does not hold yet: the peer's, marked as learnt
// from it, and not yet counted here (the writer counts it, see synced_flow_counts).
inline xlb_ct_entry synced_new_entry(const xlb_ct_entry& peer) {
  xlb_ct_entry e = peer;
  e.flags = static_cast<uint8_t>((e.flags & ~XLB_CT_F_COUNTED) | XLB_CT_F_SYNCED);
  e.pad = 0;
  std::memset(e.pad2, 0, sizeof e.pad2);
  return e;
}

// The orig entry `local` refreshed by the peer's report of the same flow: its state (unless the
// flow already closed here: an older report never reopens it), FINs, sequence knowledge and
// PPv2 acknowledgement, and the later of both last packets. The translation, counters, creation
// time and whether it is counted stay this node's.
inline xlb_ct_entry synced_refreshed_entry(const xlb_ct_entry& local, const xlb_ct_entry& peer) {
  xlb_ct_entry e = local;
  if (synced_flow_counts(local.state)) e.state = peer.state;
  e.flags = static_cast<uint8_t>(
      local.flags | (peer.flags & (XLB_CT_F_CLIENT_FIN | XLB_CT_F_EP_FIN)) | XLB_CT_F_SYNCED);
  if (peer.last_seen_ns > e.last_seen_ns) e.last_seen_ns = peer.last_seen_ns;
  if ((peer.seen & XLB_CT_SEEN_SEQ) &&
      (!(e.seen & XLB_CT_SEEN_SEQ) || static_cast<int32_t>(peer.seq_next - e.seq_next) > 0))
    e.seq_next = peer.seq_next;
  e.seen |= peer.seen;
  e.ppv2_flags |= peer.ppv2_flags & XLB_PPV2_F_ACKED;
  return e;
}

// The reply entry `held` this node already has for a synced flow, refreshed by the flow's new
// orig entry `orig`: its state and the later of both last packets, and whether its replies may
// now go alone (xlb_ct_reply_flags: never taken back, as the datapath keeps it).
inline xlb_ct_entry synced_refreshed_reply(const xlb_ct_entry& held, const xlb_ct_entry& orig) {
  xlb_ct_entry r = held;
  r.state = orig.state;
  if (orig.last_seen_ns > r.last_seen_ns) r.last_seen_ns = orig.last_seen_ns;
  r.reply_flags = static_cast<uint8_t>(r.reply_flags | xlb_ct_reply_flags(&orig));
  return r;
}

// Two orig entries of one client tuple translate it alike (same mode, endpoint and SNAT tuple):
// one flow, whichever node wrote each.
inline bool same_translation(const xlb_ct_entry& a, const xlb_ct_entry& b) {
  const uint8_t t = XLB_CT_F_DNAT | XLB_CT_F_SNAT;
  return a.mode == b.mode && (a.flags & t) == (b.flags & t) && a.nat_family == b.nat_family &&
         a.nat_dport == b.nat_dport && a.nat_sport == b.nat_sport &&
         std::memcmp(&a.nat_daddr, &b.nat_daddr, sizeof a.nat_daddr) == 0 &&
         std::memcmp(&a.nat_saddr, &b.nat_saddr, sizeof a.nat_saddr) == 0;
}

}  // namespace xlb
