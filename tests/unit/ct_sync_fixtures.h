// Rules and conntrack entries as the datapath holds them, for the conntrack sync tests (the
// engine's and the peer channel's): a rule's key and value with its endpoints, and the orig
// entry the datapath writes for a new flow of each mode.
#pragma once

#include <arpa/inet.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/ip.h"

extern "C" {
#include "xlb/abi/xlb.h"
}

namespace xlb::cluster {

inline constexpr uint64_t kSecond = 1000000000ull;

inline xlb_ip sync_ip(const std::string& text) { return *parse_ipv4(text); }

struct SyncEndpoint {
  std::string addr;
  uint16_t port;
};

inline xlb_svc_key sync_svc_key(const std::string& vip, uint16_t port,
                                uint8_t proto = IPPROTO_TCP) {
  xlb_svc_key k{};
  k.vip = sync_ip(vip);
  k.port = htons(port);
  k.proto = proto;
  k.family = XLB_AF_INET;
  return k;
}

inline xlb_svc sync_svc(uint32_t id, uint8_t mode, const std::vector<SyncEndpoint>& eps,
                        const std::vector<std::string>& snat = {}) {
  xlb_svc s{};
  s.id = id;
  s.mode = mode;
  s.nr_endpoints = static_cast<uint8_t>(eps.size());
  for (size_t i = 0; i < eps.size(); ++i) {
    s.eps[i].addr = sync_ip(eps[i].addr);
    s.eps[i].port = htons(eps[i].port);
    s.eps[i].weight = 1;
    s.eps[i].family = XLB_AF_INET;
  }
  s.nr_snat = static_cast<uint8_t>(snat.size());
  for (size_t i = 0; i < snat.size(); ++i) s.snat[i] = sync_ip(snat[i]);
  return s;
}

// An orig entry as the datapath writes one for a new flow of `mode` to endpoint `ep`.
inline xlb_ct_entry sync_orig_entry(uint32_t svc_id, uint16_t ep_idx, uint8_t mode,
                                    const SyncEndpoint& ep, uint64_t last_seen_ns,
                                    const std::string& snat = "", uint16_t snat_port = 0) {
  xlb_ct_entry e{};
  e.dir = XLB_DIR_ORIG;
  e.state = XLB_CT_EST;
  e.mode = mode;
  e.svc_id = svc_id;
  e.ep_idx = ep_idx;
  e.flags = XLB_CT_F_COUNTED;
  e.nat_daddr = sync_ip(ep.addr);
  if (mode != XLB_MODE_DSR) {
    e.flags |= XLB_CT_F_DNAT;
    e.nat_dport = htons(ep.port);
  }
  if (mode == XLB_MODE_FULLNAT) {
    e.flags |= XLB_CT_F_SNAT;
    e.nat_saddr = sync_ip(snat);
    e.nat_sport = htons(snat_port);
  }
  e.created_ns = last_seen_ns - 30 * kSecond;
  e.last_seen_ns = last_seen_ns;
  e.packets = 10;
  return e;
}

}  // namespace xlb::cluster
