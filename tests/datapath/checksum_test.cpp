// The checksum code the other tests trust: checked against RFC 1071's example and against
// frames serialized by libtins (an independent implementation).
#include "checksum.h"

#include <gtest/gtest.h>

#include "flow.h"

namespace xlbtest {
namespace {

TEST(Checksum, Rfc1071Example) {
  // RFC 1071 section 3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to 0xddf2.
  const uint8_t data[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(csum::fold(csum::add(0, data)), 0xddf2);
  EXPECT_EQ(csum::checksum(data), static_cast<uint16_t>(~0xddf2));
}

TEST(Checksum, OddLengthPadsWithZero) {
  const uint8_t odd[] = {0x12, 0x34, 0x56};
  const uint8_t even[] = {0x12, 0x34, 0x56, 0x00};
  EXPECT_EQ(csum::checksum(odd), csum::checksum(even));
}

TEST(Checksum, LibtinsFramesVerify) {
  Flow flow;
  const Bytes odd_payload = {1, 2, 3, 4, 5, 6, 7};
  for (const Bytes& f : {flow.client_tcp(tcpf::SYN), flow.client_tcp(tcpf::ACK, odd_payload),
                         flow.client_udp(odd_payload),
                         icmp_echo_frame(flow.client_l2(), flow.client_ip(), 7, 1, odd_payload)})
    EXPECT_TRUE(ChecksumsValid(f));
}

TEST(Checksum, RecomputeMatchesLibtinsAndDetectsCorruption) {
  Flow flow;
  Bytes f = flow.client_tcp(tcpf::SYN | tcpf::ACK, {9, 8, 7});
  Bytes mine = f;
  fix_checksums(mine);
  EXPECT_TRUE(FramesEqual(f, mine));
  f[f.size() - 1] ^= 0x40;
  EXPECT_FALSE(ChecksumsValid(f));
  Bytes ip_bad = mine;
  ip_bad[14 + 8] ^= 1;  // TTL changed without a checksum update
  EXPECT_FALSE(ChecksumsValid(ip_bad));
}

}  // namespace
}  // namespace xlbtest
