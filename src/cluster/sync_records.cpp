#include "cluster/sync_records.h"

#include <netinet/in.h>

#include <cstring>
#include <string>
#include <tuple>

#include "cluster/wire_codec.h"

extern "C" {
#include "xlb/abi/conntrack.h"
#include "xlb/abi/service.h"
}

namespace xlb::cluster::wire {
namespace {

// The family byte on the wire: the IP version, not the ABI's AF_* number.
constexpr uint8_t kWireFamilyIpv4 = 4;
constexpr uint8_t kWireFamilyIpv6 = 6;

size_t sync_address_bytes(uint8_t family) { return family == XLB_AF_INET6 ? 16 : 4; }

// Addresses travel as the 4 or 16 bytes they are on the wire (xlb_ip holds them so).
void put_sync_address(std::vector<uint8_t>& out, const xlb_ip& addr, uint8_t family) {
  const auto* b = reinterpret_cast<const uint8_t*>(addr.w);
  out.insert(out.end(), b, b + sync_address_bytes(family));
}

bool get_sync_address(PayloadCursor& in, xlb_ip& addr, uint8_t family) {
  addr = xlb_ip{};
  for (size_t word = 0; word < sync_address_bytes(family) / 4; ++word) {
    uint32_t v = 0;
    if (!in.u32(v)) return false;
    addr.w[word] = htonl(v);  // the cursor read it big endian: back to the bytes' own order
  }
  return true;
}

bool is_zero(const xlb_ip& a) { return !a.w[0] && !a.w[1] && !a.w[2] && !a.w[3]; }

bool tcp_state(uint8_t s) { return s <= XLB_CT_CLOSED; }
bool udp_state(uint8_t s) { return s == XLB_CT_UDP_NEW || s == XLB_CT_UDP_EST; }

// The translation flags each mode's orig entry carries, and those it may carry.
bool nat_flags_fit_mode(uint8_t mode, uint8_t flags) {
  const uint8_t nat = flags & (XLB_CT_F_DNAT | XLB_CT_F_SNAT | XLB_CT_F_IPIP);
  switch (mode) {
    case XLB_MODE_NAT:
      return nat == XLB_CT_F_DNAT;
    case XLB_MODE_FULLNAT:
      return nat == (XLB_CT_F_DNAT | XLB_CT_F_SNAT);
    case XLB_MODE_DSR:
      return (nat & ~XLB_CT_F_IPIP) == 0;
    default:
      return false;
  }
}

// The rules a flow record must meet beyond its length; the first broken one, or nullptr.
const char* flow_record_fault(const SyncRecord& r) {
  if (is_zero(r.endpoint) || r.endpoint_port == 0)
    return "a flow needs an endpoint address and port";
  if (r.mode > XLB_MODE_DSR) return "mode is not nat (0), fullnat (1) or dsr (2)";
  if (r.proto == IPPROTO_TCP ? !tcp_state(r.state) : !udp_state(r.state))
    return "state is not a state of the flow's protocol";
  if (r.flags & ~synced_flag_mask()) return "flags carry bits a peer may not send";
  if (!nat_flags_fit_mode(r.mode, r.flags)) return "the translation flags do not fit the mode";
  if ((r.flags & XLB_CT_F_SNAT) ? (is_zero(r.snat) || r.snat_port == 0)
                                : (!is_zero(r.snat) || r.snat_port != 0))
    return "an SNAT address and port come with the SNAT flag, and only with it";
  if (r.seen & ~(XLB_CT_SEEN_SEQ | XLB_CT_SEEN_RST)) return "seen carries unknown bits";
  if (r.ppv2_flags & ~(XLB_PPV2_F_ON | XLB_PPV2_F_ACKED)) return "ppv2 flags carry unknown bits";
  const bool ppv2 = r.ppv2_flags & XLB_PPV2_F_ON;
  if (ppv2 != (r.ppv2_len != 0) || r.ppv2_len > kMaxPpv2HeaderBytes)
    return "a Proxy Protocol length (1 to 232) comes with the ppv2 flag, and only with it";
  if (ppv2 && (r.proto != IPPROTO_TCP || r.mode == XLB_MODE_DSR))
    return "Proxy Protocol is for TCP NAT and FullNAT flows only";
  if (r.created_age_s > kMaxAgeSeconds || r.age_s > r.created_age_s)
    return "ages must satisfy age <= created age <= one year";
  return nullptr;
}

}  // namespace

bool SyncRecord::operator==(const SyncRecord& o) const {
  return std::tie(kind, family, proto, client_port, vip_port, endpoint_port, snat_port, mode, state,
                  flags, seen, seq_next, ppv2_seq, ppv2_len, ppv2_flags, age_s, created_age_s) ==
             std::tie(o.kind, o.family, o.proto, o.client_port, o.vip_port, o.endpoint_port,
                      o.snat_port, o.mode, o.state, o.flags, o.seen, o.seq_next, o.ppv2_seq,
                      o.ppv2_len, o.ppv2_flags, o.age_s, o.created_age_s) &&
         client == o.client && vip == o.vip && endpoint == o.endpoint && snat == o.snat;
}

uint8_t synced_flag_mask() {
  return XLB_CT_F_DNAT | XLB_CT_F_SNAT | XLB_CT_F_CLIENT_FIN | XLB_CT_F_EP_FIN | XLB_CT_F_IPIP |
         XLB_CT_F_PERSIST;
}

void encode_flow_batch(const FlowBatch& batch, std::vector<uint8_t>& payload) {
  const size_t count = std::min(batch.records.size(), kMaxRecordsPerBatch);
  put_u32(payload, batch.delay_ms);
  put_u16(payload, static_cast<uint16_t>(count));
  for (size_t i = 0; i < count; ++i) {
    const SyncRecord& r = batch.records[i];
    const uint8_t af = r.family;
    put_u8(payload, static_cast<uint8_t>(r.kind));
    put_u8(payload, af == XLB_AF_INET6 ? kWireFamilyIpv6 : kWireFamilyIpv4);
    put_u8(payload, r.proto);
    put_sync_address(payload, r.client, af);
    put_u16(payload, r.client_port);
    put_sync_address(payload, r.vip, af);
    put_u16(payload, r.vip_port);
    if (r.kind != SyncRecord::Kind::flow) continue;
    put_sync_address(payload, r.endpoint, af);
    put_u16(payload, r.endpoint_port);
    put_sync_address(payload, r.snat, af);
    put_u16(payload, r.snat_port);
    for (uint8_t b : {r.mode, r.state, r.flags, r.seen}) put_u8(payload, b);
    put_u32(payload, r.seq_next);
    put_u32(payload, r.ppv2_seq);
    put_u16(payload, r.ppv2_len);
    put_u16(payload, r.ppv2_flags);
    put_u32(payload, r.age_s);
    put_u32(payload, r.created_age_s);
  }
}

Result<FlowBatch> decode_flow_batch(std::span<const uint8_t> payload) {
  PayloadCursor in(payload);
  FlowBatch batch;
  uint16_t count = 0;
  if (!in.u32(batch.delay_ms) || !in.u16(count) || count == 0 || count > kMaxRecordsPerBatch) {
    return wire_malformed("a flows frame carries 1 to " + std::to_string(kMaxRecordsPerBatch) +
                          " records");
  }
  batch.records.reserve(count);
  for (uint16_t i = 0; i < count; ++i) {
    SyncRecord r;
    uint8_t kind = 0, family = 0;
    const std::string where = "record " + std::to_string(i) + ": ";
    if (!in.u8(kind) || !in.u8(family)) return wire_malformed(where + "truncated");
    if (family != kWireFamilyIpv4 && family != kWireFamilyIpv6)
      return wire_malformed(where + "family must be 4 (IPv4) or 6 (IPv6)");
    r.family = family == kWireFamilyIpv6 ? XLB_AF_INET6 : XLB_AF_INET;
    const uint8_t af = r.family;
    if (!in.u8(r.proto) || !get_sync_address(in, r.client, af) || !in.u16(r.client_port) ||
        !get_sync_address(in, r.vip, af) || !in.u16(r.vip_port)) {
      return wire_malformed(where + "truncated");
    }
    if (kind != static_cast<uint8_t>(SyncRecord::Kind::flow) &&
        kind != static_cast<uint8_t>(SyncRecord::Kind::closed)) {
      return wire_malformed(where + "kind " + std::to_string(kind) + " is not flow or closed");
    }
    r.kind = static_cast<SyncRecord::Kind>(kind);
    if (r.proto != IPPROTO_TCP && r.proto != IPPROTO_UDP)
      return wire_malformed(where + "protocol must be TCP (6) or UDP (17)");
    if (is_zero(r.client) || is_zero(r.vip) || r.client_port == 0 || r.vip_port == 0)
      return wire_malformed(where + "a flow's key needs both addresses and ports");
    if (r.kind == SyncRecord::Kind::flow) {
      if (!get_sync_address(in, r.endpoint, af) || !in.u16(r.endpoint_port) ||
          !get_sync_address(in, r.snat, af) || !in.u16(r.snat_port) || !in.u8(r.mode) ||
          !in.u8(r.state) || !in.u8(r.flags) || !in.u8(r.seen) || !in.u32(r.seq_next) ||
          !in.u32(r.ppv2_seq) || !in.u16(r.ppv2_len) || !in.u16(r.ppv2_flags) || !in.u32(r.age_s) ||
          !in.u32(r.created_age_s)) {
        return wire_malformed(where + "truncated");
      }
      if (const char* fault = flow_record_fault(r)) return wire_malformed(where + fault);
    }
    batch.records.push_back(r);
  }
  if (in.left() != 0) return wire_malformed("bytes left over after the records");
  return batch;
}

}  // namespace xlb::cluster::wire
