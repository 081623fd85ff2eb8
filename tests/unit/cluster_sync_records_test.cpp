// Conntrack sync's records on the wire: a batch of flow and closed records and the end of a dump
// decode to what was encoded, at the documented sizes; every field out of its rules makes the
// frame malformed (the peer is disconnected), and a version-1 peer is told apart from garbage.
#include <gtest/gtest.h>
#include <netinet/in.h>

#include "cluster/wire.h"
#include "common/ip.h"

extern "C" {
#include "xlb/abi/conntrack.h"
#include "xlb/abi/service.h"
}

namespace xlb::cluster::wire {
namespace {

using Bytes = std::vector<uint8_t>;

xlb_ip ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  xlb_ip ip{};
  ip.w[0] = htonl((uint32_t{a} << 24) | (uint32_t{b} << 16) | (uint32_t{c} << 8) | d);
  return ip;
}

xlb_ip ip6(const char* text) { return parse_ip(text).value().addr; }

SyncRecord fullnat_ppv2_flow() {
  SyncRecord r;
  r.kind = SyncRecord::Kind::flow;
  r.proto = IPPROTO_TCP;
  r.client = ip4(10, 0, 0, 9);
  r.client_port = 40001;
  r.vip = ip4(20, 20, 20, 1);
  r.vip_port = 80;
  r.endpoint = ip4(10, 1, 2, 10);
  r.endpoint_port = 8080;
  r.snat = ip4(10, 1, 2, 1);
  r.snat_port = 17000;
  r.mode = XLB_MODE_FULLNAT;
  r.state = XLB_CT_EST;
  r.flags = XLB_CT_F_DNAT | XLB_CT_F_SNAT | XLB_CT_F_CLIENT_FIN;
  r.seen = XLB_CT_SEEN_SEQ;
  r.seq_next = 0xdeadbeef;
  r.ppv2_seq = 0x01020304;
  r.ppv2_len = 28;
  r.ppv2_flags = XLB_PPV2_F_ON | XLB_PPV2_F_ACKED;
  r.age_s = 3;
  r.created_age_s = 70;
  return r;
}

// The FullNAT flow over IPv6 (wire family 6, 16-byte addresses).
SyncRecord fullnat6_flow() {
  SyncRecord r = fullnat_ppv2_flow();
  r.family = XLB_AF_INET6;
  r.client = ip6("2001:db8:2::9");
  r.vip = ip6("2001:db8::100");
  r.endpoint = ip6("2001:db8:1::10");
  r.snat = ip6("2001:db8:1::1");
  r.ppv2_len = 52;  // PPv2 over IPv6: 16 + 36
  return r;
}

// The close of a UDP flow: only the key travels.
SyncRecord closed_flow() {
  SyncRecord r;
  r.kind = SyncRecord::Kind::closed;
  r.proto = IPPROTO_UDP;
  r.client = ip4(10, 0, 0, 8);
  r.client_port = 5353;
  r.vip = fullnat_ppv2_flow().vip;
  r.vip_port = 53;
  return r;
}

Bytes hello_frame() { return encode(Hello{1, "xlb test"}); }

Result<std::vector<Message>> decode_after_hello(const Bytes& frame) {
  FrameReader reader;
  std::vector<Message> out;
  Bytes all = hello_frame();
  all.insert(all.end(), frame.begin(), frame.end());
  if (auto ok = reader.feed(all, out); !ok) return ok.error();
  out.erase(out.begin());
  return out;
}

TEST(ClusterSyncRecords, ABatchAndTheEndOfADumpRoundTrip) {
  const FlowBatch batch{12, {fullnat_ppv2_flow(), closed_flow()}};
  Bytes frames = encode(batch);
  const Bytes end = encode(EndOfDump{4242});
  frames.insert(frames.end(), end.begin(), end.end());
  auto out = decode_after_hello(frames);
  ASSERT_TRUE(out.ok()) << out.error().message;
  ASSERT_EQ(out->size(), 2u);
  EXPECT_EQ(std::get<FlowBatch>((*out)[0]), batch);
  EXPECT_EQ(std::get<EndOfDump>((*out)[1]).flows, 4242u);
}

TEST(ClusterSyncRecords, RecordsTakeTheDocumentedBytes) {
  const Bytes one_flow = encode(FlowBatch{0, {fullnat_ppv2_flow()}});
  const Bytes one_closed = encode(FlowBatch{0, {closed_flow()}});
  EXPECT_EQ(one_flow.size(), kHeaderBytes + kBatchHeaderBytes + kFlowRecordBytes);
  EXPECT_EQ(one_closed.size(), kHeaderBytes + kBatchHeaderBytes + kClosedRecordBytes);
  EXPECT_EQ(one_flow[3], static_cast<uint8_t>(MsgType::flows));
  // A full batch still fits one frame.
  EXPECT_LE(kBatchHeaderBytes + kMaxRecordsPerBatch * kFlowRecordBytes, kMaxPayloadBytes);
}

// IPv6 flows travel with 16-byte addresses beside IPv4 ones in one batch (wire version 3).
TEST(ClusterSyncRecords, Ipv6RecordsRoundTripAtTheirDocumentedSize) {
  SyncRecord closed6 = closed_flow();
  closed6.family = XLB_AF_INET6;
  closed6.client = ip6("2001:db8:2::8");
  closed6.vip = ip6("2001:db8::100");
  const FlowBatch batch{5, {fullnat6_flow(), fullnat_ppv2_flow(), closed6}};
  auto out = decode_after_hello(encode(batch));
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(std::get<FlowBatch>((*out)[0]), batch);
  EXPECT_EQ(encode(FlowBatch{0, {fullnat6_flow()}}).size(),
            kHeaderBytes + kBatchHeaderBytes + kFlowRecord6Bytes);
  EXPECT_EQ(encode(FlowBatch{0, {closed6}}).size(),
            kHeaderBytes + kBatchHeaderBytes + kClosedRecord6Bytes);
  EXPECT_EQ(kFlowRecord6Bytes, 99u);
  EXPECT_EQ(kClosedRecord6Bytes, 39u);
  // A full batch of IPv6 flows still fits one frame.
  EXPECT_LE(kBatchHeaderBytes + kMaxRecordsPerBatch * kFlowRecord6Bytes, kMaxPayloadBytes);
  // The client's 16 bytes follow kind, family (6) and protocol.
  const Bytes f = encode(FlowBatch{0, {fullnat6_flow()}});
  const size_t at = kHeaderBytes + kBatchHeaderBytes;
  EXPECT_EQ(f[at + 1], 6);
  EXPECT_EQ(Bytes(f.begin() + at + 3, f.begin() + at + 19),
            (Bytes{0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9}));
}

TEST(ClusterSyncRecords, Ipv6RecordsAreCheckedLikeIpv4Ones) {
  SyncRecord no_snat = fullnat6_flow();
  no_snat.snat = {};
  EXPECT_FALSE(decode_after_hello(encode(FlowBatch{0, {no_snat}})).ok());
  const Bytes good = encode(FlowBatch{0, {fullnat6_flow()}});
  Bytes truncated(good.begin(), good.end() - 1);
  truncated[kHeaderBytes - 1] -= 1;  // the frame's length says so too: the record is short
  auto out = decode_after_hello(truncated);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code, ErrorCode::invalid_argument);
}

TEST(ClusterSyncRecords, AddressesTravelInNetworkOrder) {
  const Bytes f = encode(FlowBatch{0, {fullnat_ppv2_flow()}});
  const size_t client_at = kHeaderBytes + kBatchHeaderBytes + 3;
  EXPECT_EQ(Bytes(f.begin() + client_at, f.begin() + client_at + 6),
            (Bytes{10, 0, 0, 9, 40001 >> 8, 40001 & 0xff}));
}

TEST(ClusterSyncRecords, EveryModeRoundTrips) {
  SyncRecord nat = fullnat_ppv2_flow();
  nat.mode = XLB_MODE_NAT;
  nat.flags = XLB_CT_F_DNAT;
  nat.snat = {};
  nat.snat_port = 0;
  SyncRecord dsr = nat;
  dsr.mode = XLB_MODE_DSR;
  dsr.flags = XLB_CT_F_IPIP;
  dsr.ppv2_flags = 0;
  dsr.ppv2_len = 0;
  dsr.endpoint_port = 80;
  SyncRecord udp = dsr;
  udp.proto = IPPROTO_UDP;
  udp.state = XLB_CT_UDP_EST;
  const FlowBatch batch{0, {nat, dsr, udp}};
  auto out = decode_after_hello(encode(batch));
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(std::get<FlowBatch>((*out)[0]), batch);
}

// One field out of its rules, and the frame is refused.
TEST(ClusterSyncRecords, RecordsOutOfTheirRulesAreMalformed) {
  const std::vector<std::pair<std::string, std::function<void(SyncRecord&)>>> cases = {
      {"protocol", [](SyncRecord& r) { r.proto = 1; }},
      {"no client port", [](SyncRecord& r) { r.client_port = 0; }},
      {"no VIP", [](SyncRecord& r) { r.vip = {}; }},
      {"no endpoint", [](SyncRecord& r) { r.endpoint = {}; }},
      {"mode", [](SyncRecord& r) { r.mode = 3; }},
      {"a UDP state on TCP", [](SyncRecord& r) { r.state = XLB_CT_UDP_EST; }},
      {"state beyond the enum", [](SyncRecord& r) { r.state = XLB_CT_STATE_MAX; }},
      {"a local flag (counted)", [](SyncRecord& r) { r.flags |= XLB_CT_F_COUNTED; }},
      {"a local flag (synced)", [](SyncRecord& r) { r.flags |= XLB_CT_F_SYNCED; }},
      {"fullnat without SNAT", [](SyncRecord& r) { r.flags &= ~XLB_CT_F_SNAT; }},
      {"SNAT flag without address", [](SyncRecord& r) { r.snat = {}; }},
      {"seen bits", [](SyncRecord& r) { r.seen = 0x80; }},
      {"ppv2 flag bits", [](SyncRecord& r) { r.ppv2_flags |= 0x100; }},
      {"ppv2 length without the flag", [](SyncRecord& r) { r.ppv2_flags = 0; }},
      {"ppv2 header too long", [](SyncRecord& r) { r.ppv2_len = kMaxPpv2HeaderBytes + 1; }},
      {"age beyond the created age", [](SyncRecord& r) { r.age_s = r.created_age_s + 1; }},
      {"created age beyond a year", [](SyncRecord& r) { r.created_age_s = kMaxAgeSeconds + 1; }},
  };
  for (const auto& [what, spoil] : cases) {
    SyncRecord r = fullnat_ppv2_flow();
    spoil(r);
    auto out = decode_after_hello(encode(FlowBatch{0, {fullnat_ppv2_flow(), r}}));
    ASSERT_FALSE(out.ok()) << what;
    EXPECT_EQ(out.error().code, ErrorCode::invalid_argument) << what;
    EXPECT_NE(out.error().message.find("record 1"), std::string::npos)
        << what << ": " << out.error().message;
  }
}

TEST(ClusterSyncRecords, ModesMustCarryTheirOwnTranslation) {
  SyncRecord dsr_with_dnat = fullnat_ppv2_flow();
  dsr_with_dnat.mode = XLB_MODE_DSR;
  dsr_with_dnat.ppv2_flags = 0;
  dsr_with_dnat.ppv2_len = 0;
  EXPECT_FALSE(decode_after_hello(encode(FlowBatch{0, {dsr_with_dnat}})).ok());
  SyncRecord nat_with_ipip = fullnat_ppv2_flow();
  nat_with_ipip.mode = XLB_MODE_NAT;
  nat_with_ipip.flags = XLB_CT_F_DNAT | XLB_CT_F_IPIP;
  nat_with_ipip.snat = {};
  nat_with_ipip.snat_port = 0;
  EXPECT_FALSE(decode_after_hello(encode(FlowBatch{0, {nat_with_ipip}})).ok());
}

// Byte-level damage the encoder never produces.
TEST(ClusterSyncRecords, DamagedBatchesAreMalformed) {
  const Bytes good = encode(FlowBatch{0, {fullnat_ppv2_flow(), closed_flow()}});
  auto payload_of = [&](const Bytes& f) { return Bytes(f.begin() + kHeaderBytes, f.end()); };
  auto frame = [](const Bytes& payload, MsgType type = MsgType::flows) {
    Bytes f = {'X', 'L', kVersion, static_cast<uint8_t>(type)};
    for (int shift = 24; shift >= 0; shift -= 8)
      f.push_back(static_cast<uint8_t>(payload.size() >> shift));
    f.insert(f.end(), payload.begin(), payload.end());
    return f;
  };
  Bytes zero_count = payload_of(good);
  zero_count[4] = 0;
  zero_count[5] = 0;
  zero_count.resize(kBatchHeaderBytes);
  Bytes count_too_high = payload_of(good);
  count_too_high[5] = 3;  // says 3, carries 2
  Bytes trailing = payload_of(good);
  trailing.push_back(0);
  Bytes bad_kind = payload_of(good);
  bad_kind[kBatchHeaderBytes] = 3;
  // A family-4 record relabelled 6: its 4-byte addresses no longer add up to a record.
  Bytes ipv6 = payload_of(good);
  ipv6[kBatchHeaderBytes + 1] = 6;
  Bytes family_5 = payload_of(good);
  family_5[kBatchHeaderBytes + 1] = 5;
  Bytes over_limit = payload_of(good);
  over_limit[4] = (kMaxRecordsPerBatch + 1) >> 8;
  over_limit[5] = (kMaxRecordsPerBatch + 1) & 0xff;
  const std::vector<std::pair<std::string, Bytes>> cases = {
      {"no records", frame(zero_count)},
      {"a record short", frame(count_too_high)},
      {"bytes after the records", frame(trailing)},
      {"unknown kind", frame(bad_kind)},
      {"IPv4 record labelled IPv6", frame(ipv6)},
      {"unknown family", frame(family_5)},
      {"over the batch limit", frame(over_limit)},
      {"end of dump too short", frame({0, 0, 1}, MsgType::end_of_dump)},
      {"end of dump too long", frame({0, 0, 0, 1, 0}, MsgType::end_of_dump)},
  };
  for (const auto& [what, bytes] : cases) {
    auto out = decode_after_hello(bytes);
    ASSERT_FALSE(out.ok()) << what;
    EXPECT_EQ(out.error().code, ErrorCode::invalid_argument) << what;
  }
}

TEST(ClusterSyncRecords, RecordsBeforeTheHelloAreRefused) {
  FrameReader reader;
  std::vector<Message> out;
  EXPECT_FALSE(reader.feed(encode(FlowBatch{0, {closed_flow()}}), out).ok());
  FrameReader other;
  EXPECT_FALSE(other.feed(encode(EndOfDump{0}), out).ok());
}

TEST(ClusterSyncRecords, AVersionOnePeerIsToldApart) {
  Bytes old = hello_frame();
  old[2] = 1;
  FrameReader reader;
  std::vector<Message> out;
  auto fed = reader.feed(old, out);
  ASSERT_FALSE(fed.ok());
  EXPECT_EQ(fed.error().code, ErrorCode::not_supported);
  EXPECT_NE(fed.error().message.find("version 1"), std::string::npos) << fed.error().message;
}

}  // namespace
}  // namespace xlb::cluster::wire
