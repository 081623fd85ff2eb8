// The conntrack tuple arithmetic the datapath uses, for the control plane: a packet matching
// an entry's key leaves with the entry's translation; the opposite direction's entry is keyed
// by the reverse of that translated tuple (see bpf/lib/conntrack.h).
#pragma once

extern "C" {
#include "xlb/abi/conntrack.h"
}

namespace xlb {

inline xlb_ct_key translated_key(const xlb_ct_key& key, const xlb_ct_entry& e) {
  xlb_ct_key t = key;
  if (e.flags & XLB_CT_F_SNAT) {
    t.saddr = e.nat_saddr;
    t.sport = e.nat_sport;
  }
  if (e.flags & XLB_CT_F_DNAT) {
    t.daddr = e.nat_daddr;
    t.dport = e.nat_dport;
  }
  return t;
}

inline xlb_ct_key peer_key(const xlb_ct_key& key, const xlb_ct_entry& e) {
  xlb_ct_key t = translated_key(key, e);
  xlb_ct_key peer{};
  peer.saddr = t.daddr;
  peer.daddr = t.saddr;
  peer.sport = t.dport;
  peer.dport = t.sport;
  peer.proto = key.proto;
  peer.family = key.family;
  return peer;
}

}  // namespace xlb
