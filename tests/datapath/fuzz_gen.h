// Frame generator for the datapath fuzz test: a deterministic PRNG (the same seed gives the same
// frames on every machine) and frames built from templates (client -> rule traffic, endpoint
// replies and ICMP errors about flows the test opened, echo, ARP, other ethertypes, garbage),
// then mutated: truncation, bit flips, bad IHL and lengths, fragments, trailing padding, broken
// checksums.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "packet.h"

namespace xlbtest::fuzz {

// splitmix64: tiny, portable, and unlike std distributions identical on every standard library.
class Prng {
 public:
  explicit Prng(uint64_t seed) : s_(seed) {}
  uint64_t next();
  uint32_t below(uint32_t n) { return static_cast<uint32_t>(next() % n); }  // n > 0
  bool chance(uint32_t percent) { return below(100) < percent; }
  uint8_t byte() { return static_cast<uint8_t>(next()); }

 private:
  uint64_t s_;
};

// A rule the fixture installs; the generator aims traffic at these and at nearby non-rules.
struct FuzzRule {
  const char* vip;
  uint16_t port;
  uint8_t proto;
};

// A NAT/FullNAT flow the datapath opened, as the endpoint side sees it (read from the forwarded
// frame), so replies and ICMP errors can be aimed at the LB as the endpoint would.
struct OpenFlow {
  uint8_t proto;
  std::string ep_ip;
  uint16_t ep_port;
  Mac ep_mac;
  std::string peer_ip;  // what the endpoint sees as the source: the client, or FullNAT's SNAT
  uint16_t peer_port;
};

struct Frame {
  Bytes bytes;
  bool from_backend = false;  // arrives on the backend-side interface
};

class FrameGen {
 public:
  FrameGen(uint64_t seed, std::vector<FuzzRule> rules) : rng_(seed), rules_(std::move(rules)) {}

  // One random frame; `flows` are the flows opened so far (replies and errors quote them).
  Frame next(const std::vector<OpenFlow>& flows);

  // The unmutated templates the sweep truncates at every offset.
  std::vector<Frame> templates(const std::vector<OpenFlow>& flows);
  // One SYN-flagged segment per TCP flag combination (0..255) to each TCP rule.
  std::vector<Frame> every_tcp_flag_combination();

  Prng& rng() { return rng_; }

 private:
  Frame client_to_rule(uint8_t proto);
  Frame endpoint_reply(const OpenFlow& f);
  Frame icmp_error_about(const OpenFlow& f);
  Frame icmp6_error_about(const OpenFlow& f);
  Bytes packet_at_endpoint(const OpenFlow& f);
  Frame icmp_error_about_nothing();
  Frame echo();
  Frame arp();
  Frame other_ethertype();
  Frame not_for_a_vip();
  Frame garbage();
  void mutate(Bytes& f);

  L2 l2_from_client();
  Host client_for(const L2& l2, const char* dst);
  Ip4 ip(const char* src, const char* dst);
  uint8_t tcp_flags();
  Bytes payload();

  Prng rng_;
  std::vector<FuzzRule> rules_;
};

// Recomputes the IPv4 header checksum (when the header is in the frame) and the L4 checksum
// (when the frame is well formed, IPv4 or IPv6), so a mutation tests one defect rather than a
// bad checksum.
void fix_checksums_if_possible(Bytes& f);

}  // namespace xlbtest::fuzz
