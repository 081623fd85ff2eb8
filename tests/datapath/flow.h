// Rules and flows as the tests describe them: rule builders, and one client connection with
// its packets, conntrack keys and expected rewritten frames (NAT, or FullNAT once its SNAT
// address and port are known).
#pragma once

#include <netinet/in.h>

#include <optional>
#include <string>
#include <vector>

#include "frame.h"
#include "packet.h"
#include "topology.h"

extern "C" {
#include "xlb/abi/xlb.h"
}

namespace xlbtest {

struct Rule {
  const char* vip = kVip;
  uint16_t port = 80;
  uint8_t proto = IPPROTO_TCP;
};

struct EpSpec {
  Host host;
  uint16_t port;
  uint8_t weight = 1;
  uint8_t state = XLB_EP_UP;
};

xlb_ip xip(const char* text);       // IPv4 or IPv6 (a ':' in the text)
uint8_t xfamily(const char* text);  // XLB_AF_INET or XLB_AF_INET6
// The reply entry a live FullNAT flow from `client`:cport to vip:vport holds for its SNAT tuple
// (what the source-port allocator probes); the caller picks the key.
xlb_ct_entry fullnat_reply_entry(uint32_t svc_id, const char* vip, uint16_t vport,
                                 const char* client, uint16_t cport);
xlb_svc_key svc_key(const Rule& rule);
// A NAT-mode rule, encoded as the reconciler encodes one (xlb::select::encode_svc).
xlb_svc make_svc(uint32_t id, uint8_t select, const std::vector<EpSpec>& eps);
// kEndpoints[0..n) on `port`.
std::vector<EpSpec> endpoints(size_t n, uint16_t port = 8080);
// The same rule in FullNAT mode; `snat` is the rule's --snat list (empty: the LB's address).
xlb_svc fullnat(xlb_svc svc, const std::vector<const char*>& snat = {});
// The same rule in DSR mode (`ipip`: XLB_SVC_F_DSR_IPIP, always tunnel).
xlb_svc dsr(xlb_svc svc, bool ipip = false);

// FullNAT: the source the endpoint sees instead of the client's.
struct Snat {
  std::string ip;
  uint16_t port = 0;
};

// One TCP segment's variable part.
struct Seg {
  uint8_t flags = 0;
  uint32_t seq = 0;
  uint32_t ack = 0;
  Bytes payload = {};
  std::vector<SackBlock> sack = {};
};

// One client connection to a rule, and what its packets should look like after the datapath.
struct Flow {
  Host client = kClient;
  uint16_t cport = 40000;
  Rule rule;
  std::optional<Snat> snat =
      std::nullopt;  // set: a FullNAT flow, the endpoint talks to snat->ip:port

  const char* peer_ip() const;  // the address the endpoint sees: SNAT address or the client
  uint16_t peer_port() const;

  L2 client_l2() const;  // client -> LB's client-side interface
  Ip4 client_ip() const;
  L2 endpoint_l2(const EpSpec& ep) const;  // endpoint -> LB's backend-side interface
  Ip4 endpoint_ip(const EpSpec& ep) const;

  // Fixed sequence numbers: the client's at 1000 (acking 5001), the endpoint's at 5000 (1001).
  Bytes client_tcp(uint8_t flags, const Bytes& payload = {}) const;
  Bytes endpoint_tcp(const EpSpec& ep, uint8_t flags, const Bytes& payload = {}) const;
  Bytes client_seg(const Seg& seg) const;
  Bytes endpoint_seg(const EpSpec& ep, const Seg& seg) const;
  Bytes client_udp(const Bytes& payload) const;
  Bytes endpoint_udp(const EpSpec& ep, const Bytes& payload) const;

  xlb_ct_key orig_key() const;
  xlb_ct_key reply_key(const EpSpec& ep) const;

  // Expected DNAT of a client frame to `ep`: MACs toward the endpoint, daddr/dport, TTL-1;
  // FullNAT: saddr/sport = SNAT address and port as well.
  Bytes to_endpoint(const Bytes& in, const EpSpec& ep) const;
  // Expected un-NAT of an endpoint frame: MACs toward the client, saddr/sport = VIP, TTL-1;
  // FullNAT: daddr/dport = the client as well.
  Bytes to_client(const Bytes& in) const;
};

}  // namespace xlbtest
