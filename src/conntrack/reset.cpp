#include "conntrack/reset.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/tcp.h>

#include <cstring>

#include "conntrack/tuple.h"

namespace xlb {
namespace {

uint32_t sum16(const void* data, size_t len, uint32_t sum = 0) {
  const auto* p = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i + 1 < len; i += 2) sum += (p[i] << 8) | p[i + 1];
  if (len & 1) sum += p[len - 1] << 8;
  return sum;
}

uint16_t fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return htons(static_cast<uint16_t>(~sum & 0xffff));
}

// The TCP header of the RST at `tcp`; `pseudo_sum`: the pseudo-header's addresses, summed.
void fill_rst_tcp(tcphdr* tcp, const RstSegment& seg, uint32_t pseudo_sum) {
  tcp->source = htons(seg.sport);
  tcp->dest = htons(seg.dport);
  tcp->seq = htonl(seg.seq);
  tcp->ack_seq = htonl(seg.ack);
  tcp->doff = sizeof(tcphdr) / 4;
  tcp->rst = 1;
  tcp->ack = 1;
  // Pseudo-header: addresses, then protocol and TCP length (the same sum for IPv4's 16-bit
  // length and IPv6's 32-bit one, whose upper half is zero here).
  pseudo_sum += IPPROTO_TCP + sizeof(tcphdr);
  tcp->check = fold(sum16(tcp, sizeof(tcphdr), pseudo_sum));
}

std::vector<uint8_t> rst_packet_v6(const RstSegment& seg) {
  std::vector<uint8_t> packet(sizeof(ip6_hdr) + sizeof(tcphdr), 0);
  auto* ip6 = reinterpret_cast<ip6_hdr*>(packet.data());
  ip6->ip6_flow = htonl(6u << 28);  // version 6, no traffic class, no flow label
  ip6->ip6_plen = htons(sizeof(tcphdr));
  ip6->ip6_nxt = IPPROTO_TCP;
  ip6->ip6_hlim = 64;
  std::memcpy(&ip6->ip6_src, seg.saddr.w, 16);
  std::memcpy(&ip6->ip6_dst, seg.daddr.w, 16);
  fill_rst_tcp(reinterpret_cast<tcphdr*>(packet.data() + sizeof(ip6_hdr)), seg,
               sum16(&ip6->ip6_src, 32));
  return packet;
}

}  // namespace

std::array<RstSegment, 2> rst_segments(const ExpiredTcpFlow& flow) {
  const xlb_ct_key& key = flow.orig_key;
  const xlb_ct_key to_ep = translated_key(key, flow.orig);
  uint32_t client_seq_at_ep = flow.orig.seq_next;
  if (flow.orig.ppv2_flags & XLB_PPV2_F_ON) client_seq_at_ep += flow.orig.ppv2_len;

  RstSegment client{key.daddr,           key.saddr,          ntohs(key.dport), ntohs(key.sport),
                    flow.reply.seq_next, flow.orig.seq_next, key.family};
  RstSegment endpoint{to_ep.saddr,      to_ep.daddr,         ntohs(to_ep.sport), ntohs(to_ep.dport),
                      client_seq_at_ep, flow.reply.seq_next, to_ep.family};
  return {client, endpoint};
}

std::vector<uint8_t> rst_packet(const RstSegment& seg) {
  if (seg.family == XLB_AF_INET6) return rst_packet_v6(seg);
  std::vector<uint8_t> packet(sizeof(iphdr) + sizeof(tcphdr), 0);
  auto* ip = reinterpret_cast<iphdr*>(packet.data());
  auto* tcp = reinterpret_cast<tcphdr*>(packet.data() + sizeof(iphdr));
  ip->version = 4;
  ip->ihl = sizeof(iphdr) / 4;
  ip->tot_len = htons(static_cast<uint16_t>(packet.size()));
  ip->ttl = 64;
  ip->protocol = IPPROTO_TCP;
  ip->saddr = seg.saddr.w[0];
  ip->daddr = seg.daddr.w[0];
  ip->check = fold(sum16(ip, sizeof(iphdr)));
  fill_rst_tcp(tcp, seg, sum16(&ip->saddr, 8));
  return packet;
}

}  // namespace xlb
