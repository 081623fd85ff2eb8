// The peer channel's wire format: what encodes decodes to the same message, whole or in any
// split; a version mismatch is told apart from garbage; every malformed frame is refused with
// nothing of the read that carried it returned, and the reader refuses everything after.
#include <gtest/gtest.h>

#include "cluster/wire.h"

namespace xlb::cluster::wire {
namespace {

using Bytes = std::vector<uint8_t>;

const Hello kHello{7, "xlb 0.1.0"};
const HaStates kStates{{{"default", HaState::master}, {"shard-1", HaState::fault}}};

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// A frame with this header and payload, however wrong.
Bytes raw_frame(uint8_t type, const Bytes& payload, uint8_t version = kVersion) {
  Bytes f = {'X', 'L', version, type, 0, 0, 0, static_cast<uint8_t>(payload.size())};
  f.insert(f.end(), payload.begin(), payload.end());
  return f;
}

Result<std::vector<Message>> decode_all(const Bytes& bytes) {
  FrameReader reader;
  std::vector<Message> out;
  if (auto ok = reader.feed(bytes, out); !ok) return ok.error();
  return out;
}

TEST(ClusterWire, MessagesRoundTrip) {
  auto out = decode_all(concat({encode(kHello), encode(kStates)}));
  ASSERT_TRUE(out.ok()) << out.error().message;
  ASSERT_EQ(out->size(), 2u);
  EXPECT_EQ(std::get<Hello>((*out)[0]), kHello);
  EXPECT_EQ(std::get<HaStates>((*out)[1]), kStates);
}

TEST(ClusterWire, TheHeaderIsAsDocumented) {
  const Bytes f = encode(kHello);
  ASSERT_GE(f.size(), kHeaderBytes);
  EXPECT_EQ(f[0], 'X');
  EXPECT_EQ(f[1], 'L');
  EXPECT_EQ(f[2], kVersion);
  EXPECT_EQ(f[3], static_cast<uint8_t>(MsgType::hello));
  const uint32_t length = (uint32_t{f[4]} << 24) | (f[5] << 16) | (f[6] << 8) | f[7];
  EXPECT_EQ(length, f.size() - kHeaderBytes);
  EXPECT_EQ(length, 4u + 1u + kHello.software.size());
}

TEST(ClusterWire, FramesSplitAnywhereStillDecode) {
  const Bytes all = concat({encode(kHello), encode(kStates)});
  for (size_t cut = 0; cut <= all.size(); ++cut) {
    FrameReader reader;
    std::vector<Message> first, second;
    ASSERT_TRUE(reader.feed({all.data(), cut}, first).ok()) << "cut " << cut;
    ASSERT_TRUE(reader.feed({all.data() + cut, all.size() - cut}, second).ok()) << "cut " << cut;
    EXPECT_EQ(first.size() + second.size(), 2u) << "cut " << cut;
  }
}

TEST(ClusterWire, AnotherVersionIsToldApartFromGarbage) {
  auto out = decode_all(raw_frame(1, {0, 0, 0, 1, 0}, kVersion + 1));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code, ErrorCode::not_supported);
  const std::string theirs = "version " + std::to_string(kVersion + 1);
  const std::string ours = "version " + std::to_string(kVersion);
  EXPECT_NE(out.error().message.find(theirs), std::string::npos) << out.error().message;
  EXPECT_NE(out.error().message.find(ours), std::string::npos) << out.error().message;
}

TEST(ClusterWire, MalformedFramesAreRefused) {
  const Bytes hello = encode(kHello);
  const std::vector<std::pair<std::string, Bytes>> cases = {
      {"bad magic", concat({Bytes{'X', 'X'}, Bytes(hello.begin() + 2, hello.end())})},
      {"unknown type", concat({hello, raw_frame(9, {})})},
      {"states before hello", encode(kStates)},
      {"second hello", concat({hello, hello})},
      {"short hello", raw_frame(1, {0, 0, 0})},
      {"software past the payload", raw_frame(1, {0, 0, 0, 1, 5, 'x'})},
      {"software not printable", raw_frame(1, {0, 0, 0, 1, 1, 0x07})},
      {"trailing bytes", raw_frame(1, {0, 0, 0, 1, 0, 0xee})},
      {"too many instances", concat({hello, raw_frame(2, {XLB_HA_MAX_INSTANCES + 1})})},
      {"bad state", concat({hello, raw_frame(2, {1, 1, 'a', XLB_HA_STATE_COUNT})})},
      {"empty instance name", concat({hello, raw_frame(2, {1, 0, XLB_HA_MASTER})})},
      {"upper-case instance name", concat({hello, raw_frame(2, {1, 1, 'A', XLB_HA_MASTER})})},
      {"truncated entry", concat({hello, raw_frame(2, {2, 1, 'a', XLB_HA_MASTER})})},
  };
  for (const auto& [what, bytes] : cases) {
    auto out = decode_all(bytes);
    ASSERT_FALSE(out.ok()) << what;
    EXPECT_EQ(out.error().code, ErrorCode::invalid_argument) << what;
  }
}

TEST(ClusterWire, AnOversizedLengthIsRefusedBeforeItsPayloadArrives) {
  Bytes f = concat({encode(kHello), Bytes{'X', 'L', kVersion, 2, 0, 1, 0, 1}});  // 65537 bytes
  auto out = decode_all(f);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.error().message.find("65537"), std::string::npos) << out.error().message;
}

TEST(ClusterWire, NothingOfAReadWithAMalformedFrameIsReturned) {
  FrameReader reader;
  std::vector<Message> out;
  ASSERT_TRUE(reader.feed(encode(kHello), out).ok());
  ASSERT_EQ(out.size(), 1u);
  // A valid state report, then garbage in the same read: the report is not returned.
  auto bad = reader.feed(concat({encode(kStates), raw_frame(9, {})}), out);
  EXPECT_FALSE(bad.ok());
  EXPECT_TRUE(out.empty());
  // The reader is spent: even a valid frame is refused now.
  EXPECT_FALSE(reader.feed(encode(kStates), out).ok());
  EXPECT_TRUE(out.empty());
}

TEST(ClusterWire, EncodingStaysWithinTheLimits) {
  HaStates many;
  for (int i = 0; i < 40; ++i) many.states.emplace_back("i" + std::to_string(i), HaState::backup);
  Hello chatty{1, std::string(300, 'v')};
  auto out = decode_all(concat({encode(chatty), encode(many)}));
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(std::get<Hello>((*out)[0]).software.size(), kMaxSoftwareChars);
  EXPECT_EQ(std::get<HaStates>((*out)[1]).states.size(), size_t{XLB_HA_MAX_INSTANCES});
}

TEST(ClusterWire, InstanceNames) {
  EXPECT_TRUE(valid_instance_name("default"));
  EXPECT_TRUE(valid_instance_name("shard_2-b"));
  EXPECT_FALSE(valid_instance_name(""));
  EXPECT_FALSE(valid_instance_name("Default"));
  EXPECT_FALSE(valid_instance_name("a/b"));
  EXPECT_FALSE(valid_instance_name(std::string(kMaxInstanceNameChars + 1, 'a')));
}

}  // namespace
}  // namespace xlb::cluster::wire
