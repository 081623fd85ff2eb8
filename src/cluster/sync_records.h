// Conntrack sync's records on the peer channel (a `flows` frame of wire.h). A conntrack entry
// cannot be copied byte for byte: rule ids and endpoint indexes follow each node's edit history
// and timestamps are per-boot clocks. A record carries what both nodes agree on instead: the
// rule's key, the endpoint's address and port, the translated tuple, the flow's state, flags,
// Proxy Protocol offsets and sequence number, and ages in seconds; the receiver maps them to its
// own ids and clock (sync_mapping.h).
//
// Payload of a `flows` frame, big endian, addresses as on the wire (network order):
//   delay_ms (4: how long the batch's oldest record waited at the sender) | count (2, 1..512) |
//   count x record, each:
//     kind (1: 1 flow, 2 closed) | family (1: 4 = IPv4, 6 = IPv6) | protocol (1: 6, 17) |
//     client address (A) | client port (2) | VIP (A) | VIP port (2)          -- the flow's key
//   and a flow record goes on with:
//     endpoint address (A) | endpoint port (2) | SNAT address (A) | SNAT port (2) |
//     mode (1) | state (1) | flags (1) | seen (1) | seq_next (4) |
//     ppv2 seq (4) | ppv2 length (2) | ppv2 flags (2) | age (4 s) | created age (4 s)
// where A, an address's length, is 4 for IPv4 and 16 for IPv6 (wire version 3 added family 6).
// An IPv4 closed record is 15 bytes, a flow record 51; IPv6: 39 and 99. Decoding is strict: every
// field within its range and consistent with the others (sync_records.cpp lists the rules), or
// the frame is malformed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "common/ip.h"
#include "common/result.h"

namespace xlb::cluster::wire {

// 512 IPv6 flow records (99 bytes each) fit one frame's 64 KiB; 1024, version 2's limit, did not.
inline constexpr size_t kMaxRecordsPerBatch = 512;
inline constexpr size_t kClosedRecordBytes = 15;
inline constexpr size_t kFlowRecordBytes = 51;
inline constexpr size_t kClosedRecord6Bytes = kClosedRecordBytes + 2 * 12;
inline constexpr size_t kFlowRecord6Bytes = kFlowRecordBytes + 4 * 12;
inline constexpr size_t kBatchHeaderBytes = 6;
// Ages beyond a year are refused: no flow idles that long, and the receiver's clock arithmetic
// stays far from wrapping.
inline constexpr uint32_t kMaxAgeSeconds = 366u * 24 * 3600;
inline constexpr uint16_t kMaxPpv2HeaderBytes = 232;  // PPv2: 16-byte preamble + 216 address block

struct SyncRecord {
  enum class Kind : uint8_t { flow = 1, closed = 2 };
  Kind kind = Kind::flow;
  uint8_t family = XLB_AF_INET;  // of every address below
  uint8_t proto = 0;             // IPPROTO_TCP / IPPROTO_UDP
  // Addresses as the ABI holds them (IPv4 in w[0]); ports in host order.
  xlb_ip client{};
  uint16_t client_port = 0;
  xlb_ip vip{};
  uint16_t vip_port = 0;
  // Flow records only.
  xlb_ip endpoint{};
  uint16_t endpoint_port = 0;
  xlb_ip snat{};  // FullNAT's source address toward the endpoint; zero otherwise
  uint16_t snat_port = 0;
  uint8_t mode = 0;   // enum xlb_mode
  uint8_t state = 0;  // enum xlb_ct_state
  uint8_t flags = 0;  // XLB_CT_F_* a peer may send (kSyncedFlagMask)
  uint8_t seen = 0;   // XLB_CT_SEEN_*
  uint32_t seq_next = 0;
  uint32_t ppv2_seq = 0;
  uint16_t ppv2_len = 0;
  uint16_t ppv2_flags = 0;
  uint32_t age_s = 0;          // since the flow's last packet
  uint32_t created_age_s = 0;  // since the flow began; >= age_s
  bool operator==(const SyncRecord& o) const;
};

// The conntrack flags that travel: the node-local ones (counted here, learned from a peer) do not.
uint8_t synced_flag_mask();

struct FlowBatch {
  uint32_t delay_ms = 0;
  std::vector<SyncRecord> records;  // 1..kMaxRecordsPerBatch
  bool operator==(const FlowBatch&) const = default;
};

// Appends the batch's payload (at most kMaxRecordsPerBatch records: the caller splits).
void encode_flow_batch(const FlowBatch& batch, std::vector<uint8_t>& payload);
// Decodes a whole payload; invalid_argument naming the first field out of its rules.
Result<FlowBatch> decode_flow_batch(std::span<const uint8_t> payload);
// Bytes one record takes on the wire.
inline size_t record_wire_bytes(const SyncRecord& r) {
  if (r.family == XLB_AF_INET6)
    return r.kind == SyncRecord::Kind::flow ? kFlowRecord6Bytes : kClosedRecord6Bytes;
  return r.kind == SyncRecord::Kind::flow ? kFlowRecordBytes : kClosedRecordBytes;
}

}  // namespace xlb::cluster::wire
