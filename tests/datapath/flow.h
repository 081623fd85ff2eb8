// Rules and flows as the tests describe them: NAT-mode rule builders, and one client
// connection with its packets, conntrack keys and expected rewritten frames.
#pragma once

#include <netinet/in.h>

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

xlb_ip xip(const char* dotted);
xlb_svc_key svc_key(const Rule& rule);
// A NAT-mode rule; slots built by xlb::select::build_slots (weighted unless rr).
xlb_svc make_svc(uint32_t id, uint8_t select, const std::vector<EpSpec>& eps);
// kEndpoints[0..n) on `port`.
std::vector<EpSpec> endpoints(size_t n, uint16_t port = 8080);

// One client connection to a rule, and what its packets should look like after the datapath.
struct Flow {
  Host client = kClient;
  uint16_t cport = 40000;
  Rule rule;

  L2 client_l2() const;  // client -> LB's client-side interface
  Ip4 client_ip() const;
  L2 endpoint_l2(const EpSpec& ep) const;  // endpoint -> LB's backend-side interface
  Ip4 endpoint_ip(const EpSpec& ep) const;

  Bytes client_tcp(uint8_t flags, const Bytes& payload = {}) const;
  Bytes endpoint_tcp(const EpSpec& ep, uint8_t flags, const Bytes& payload = {}) const;
  Bytes client_udp(const Bytes& payload) const;
  Bytes endpoint_udp(const EpSpec& ep, const Bytes& payload) const;

  xlb_ct_key orig_key() const;
  xlb_ct_key reply_key(const EpSpec& ep) const;

  // Expected DNAT of a client frame to `ep`: MACs toward the endpoint, daddr/dport, TTL-1.
  Bytes to_endpoint(const Bytes& in, const EpSpec& ep) const;
  // Expected un-NAT of an endpoint frame: MACs toward the client, saddr/sport = VIP, TTL-1.
  Bytes to_client(const Bytes& in) const;
};

}  // namespace xlbtest
