#include "flow.h"

#include <arpa/inet.h>

#include "select/svc_value.h"

namespace xlbtest {

xlb_ip xip(const char* text) {
  xlb_ip ip{};
  auto b = ip_bytes(text);
  std::copy(b.begin(), b.end(), reinterpret_cast<uint8_t*>(ip.w));
  return ip;
}

uint8_t xfamily(const char* text) { return is_v6(text) ? XLB_AF_INET6 : XLB_AF_INET; }

xlb_ct_entry fullnat_reply_entry(uint32_t svc_id, const char* vip, uint16_t vport,
                                 const char* client, uint16_t cport) {
  xlb_ct_entry e{};
  e.dir = XLB_DIR_REPLY;
  e.flags = XLB_CT_F_SNAT | XLB_CT_F_DNAT;
  e.mode = XLB_MODE_FULLNAT;
  e.svc_id = svc_id;
  e.nat_saddr = xip(vip);
  e.nat_sport = htons(vport);
  e.nat_daddr = xip(client);
  e.nat_dport = htons(cport);
  return e;
}

xlb_svc_key svc_key(const Rule& rule) {
  xlb_svc_key key{};
  key.vip = xip(rule.vip);
  key.port = htons(rule.port);
  key.proto = rule.proto;
  key.family = xfamily(rule.vip);
  return key;
}

xlb_svc make_svc(uint32_t id, uint8_t select, const std::vector<EpSpec>& eps) {
  xlb::select::SvcValueSpec spec;
  spec.id = id;
  spec.select = select;
  for (const EpSpec& ep : eps) {
    xlb_endpoint e{};
    e.addr = xip(ep.host.ip);
    e.port = htons(ep.port);
    e.weight = ep.weight;
    e.state = ep.state;
    e.family = xfamily(ep.host.ip);
    spec.endpoints.push_back(e);
  }
  return xlb::select::encode_svc(spec);
}

std::vector<EpSpec> endpoints(size_t n, uint16_t port) {
  std::vector<EpSpec> eps;
  for (size_t i = 0; i < n; ++i) eps.push_back({kEndpoints.at(i), port});
  return eps;
}

xlb_svc fullnat(xlb_svc svc, const std::vector<const char*>& snat) {
  svc.mode = XLB_MODE_FULLNAT;
  svc.nr_snat = static_cast<uint8_t>(snat.size());
  for (size_t i = 0; i < snat.size(); ++i) svc.snat[i] = xip(snat[i]);
  return svc;
}

xlb_svc dsr(xlb_svc svc, bool ipip) {
  svc.mode = XLB_MODE_DSR;
  if (ipip) svc.flags |= XLB_SVC_F_DSR_IPIP;
  return svc;
}

const char* Flow::peer_ip() const { return snat ? snat->ip.c_str() : client.ip; }
uint16_t Flow::peer_port() const { return snat ? snat->port : cport; }

L2 Flow::client_l2() const { return {client.mac, kLbCliMac, std::nullopt}; }
Ip4 Flow::client_ip() const { return {client.ip, rule.vip}; }
L2 Flow::endpoint_l2(const EpSpec& ep) const { return {ep.host.mac, kLbBeMac, std::nullopt}; }
Ip4 Flow::endpoint_ip(const EpSpec& ep) const { return {ep.host.ip, peer_ip()}; }

Bytes Flow::client_tcp(uint8_t flags, const Bytes& payload) const {
  return client_seg({flags, 1000, (flags & tcpf::ACK) ? 5001u : 0u, payload});
}
Bytes Flow::endpoint_tcp(const EpSpec& ep, uint8_t flags, const Bytes& payload) const {
  return endpoint_seg(ep, {flags, 5000, (flags & tcpf::ACK) ? 1001u : 0u, payload});
}
Bytes Flow::client_seg(const Seg& s) const {
  return tcp_frame(client_l2(), client_ip(), cport, rule.port, s.flags, s.seq, s.ack, s.payload,
                   s.sack);
}
Bytes Flow::endpoint_seg(const EpSpec& ep, const Seg& s) const {
  return tcp_frame(endpoint_l2(ep), endpoint_ip(ep), ep.port, peer_port(), s.flags, s.seq, s.ack,
                   s.payload, s.sack);
}
Bytes Flow::client_udp(const Bytes& payload) const {
  return udp_frame(client_l2(), client_ip(), cport, rule.port, payload);
}
Bytes Flow::endpoint_udp(const EpSpec& ep, const Bytes& payload) const {
  return udp_frame(endpoint_l2(ep), endpoint_ip(ep), ep.port, peer_port(), payload);
}

xlb_ct_key Flow::orig_key() const {
  xlb_ct_key key{};
  key.saddr = xip(client.ip);
  key.daddr = xip(rule.vip);
  key.sport = htons(cport);
  key.dport = htons(rule.port);
  key.proto = rule.proto;
  key.family = xfamily(rule.vip);
  return key;
}
xlb_ct_key Flow::reply_key(const EpSpec& ep) const {
  xlb_ct_key key{};
  key.saddr = xip(ep.host.ip);
  key.daddr = xip(peer_ip());
  key.sport = htons(ep.port);
  key.dport = htons(peer_port());
  key.proto = rule.proto;
  key.family = xfamily(rule.vip);
  return key;
}

Bytes Flow::to_endpoint(const Bytes& in, const EpSpec& ep) const {
  return Rewrite(in)
      .eth_src(kLbBeMac)
      .eth_dst(ep.host.mac)
      .saddr(peer_ip())
      .sport(peer_port())
      .daddr(ep.host.ip)
      .dport(ep.port)
      .dec_ttl()
      .build();
}
Bytes Flow::to_client(const Bytes& in) const {
  return Rewrite(in)
      .eth_src(kLbCliMac)
      .eth_dst(client.mac)
      .saddr(rule.vip)
      .sport(rule.port)
      .daddr(client.ip)
      .dport(cport)
      .dec_ttl()
      .build();
}

}  // namespace xlbtest
