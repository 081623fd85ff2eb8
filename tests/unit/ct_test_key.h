// A conntrack key as the datapath writes it (padding zero), from addresses in text: shared by
// the unit tests that put flows into a FakeDatapath.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "common/ip.h"

extern "C" {
#include "xlb/abi/conntrack.h"
}

namespace xlb {

inline xlb_ct_key ct_key(const std::string& src, uint16_t sport, const std::string& dst,
                         uint16_t dport, uint8_t proto = IPPROTO_TCP) {
  xlb_ct_key k;
  std::memset(&k, 0, sizeof k);
  k.saddr = *parse_ipv4(src);
  k.daddr = *parse_ipv4(dst);
  k.sport = htons(sport);
  k.dport = htons(dport);
  k.proto = proto;
  k.family = XLB_AF_INET;
  return k;
}

}  // namespace xlb
