// Gratuitous ARPs: the frame is an RFC 5227 announcement for the VIP from the interface's MAC;
// the announcer sends a burst at once and another after the repeat delay, to every interface
// and VIP its targets name at that moment, and a cancel drops the burst not yet sent.
#include "cluster/garp.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <mutex>
#include <thread>

namespace xlb::cluster {
namespace {

using namespace std::chrono_literals;

struct RecordingSender final : GarpSender {
  struct Sent {
    std::string ifname;
    std::vector<IpAddress> vips;
    unsigned copies;
  };
  Result<void> send(const std::string& ifname, const std::vector<IpAddress>& vips,
                    unsigned copies) override {
    std::lock_guard lock(mu);
    sent.push_back({ifname, vips, copies});
    return Ok{};
  }
  size_t count() {
    std::lock_guard lock(mu);
    return sent.size();
  }
  std::mutex mu;
  std::vector<Sent> sent;
};

uint32_t garp_test_ip(const char* text) {
  uint32_t ip = 0;
  inet_pton(AF_INET, text, &ip);
  return ip;
}

IpAddress garp_test_vip(const char* text) { return parse_ip(text).value(); }

TEST(Garp, FrameIsAGratuitousArpRequestFromTheMac) {
  const MacAddress mac = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
  const auto f = garp_frame(mac, garp_test_ip("20.20.20.1"));
  const std::array<uint8_t, kGarpFrameBytes> expected = {
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // to everyone
      0x02, 0x11, 0x22, 0x33, 0x44, 0x55,  // from the interface
      0x08, 0x06,                          // ARP
      0x00, 0x01, 0x08, 0x00, 6,    4,     // Ethernet, IPv4
      0x00, 0x01,                          // request
      0x02, 0x11, 0x22, 0x33, 0x44, 0x55,  // sender MAC
      20,   20,   20,   1,                 // sender IP: the VIP
      0,    0,    0,    0,    0,    0,     // target MAC: unknown
      20,   20,   20,   1,                 // target IP: the VIP again (gratuitous)
  };
  EXPECT_EQ(f, expected);
}

// The checksum recomputed here from RFC 4443's definition (one's complement sum over the
// pseudo-header and the message), not with the code under test.
uint16_t reference_icmpv6_sum(const std::array<uint8_t, kUnsolicitedNaFrameBytes>& f) {
  std::vector<uint8_t> pseudo(f.begin() + 22, f.begin() + 54);  // source, destination
  const size_t len = f.size() - 54;
  pseudo.insert(pseudo.end(), {0, 0, static_cast<uint8_t>(len >> 8), static_cast<uint8_t>(len)});
  pseudo.insert(pseudo.end(), {0, 0, 0, 58});
  pseudo.insert(pseudo.end(), f.begin() + 54, f.end());
  uint64_t sum = 0;
  for (size_t i = 0; i < pseudo.size(); i += 2) sum += (pseudo[i] << 8) | pseudo[i + 1];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

TEST(Garp, Ipv6VipGetsAnUnsolicitedNeighborAdvertisement) {
  const MacAddress mac = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
  const auto f = unsolicited_na_frame(mac, garp_test_vip("2001:db8::100").addr);
  const std::array<uint8_t, kUnsolicitedNaFrameBytes> expected = {
      0x33, 0x33, 0,     0,     0,    1,                // to all nodes (ff02::1)
      0x02, 0x11, 0x22,  0x33,  0x44, 0x55,             // from the interface
      0x86, 0xdd,                                       // IPv6
      0x60, 0,    0,     0,     0,    32,   58,   255,  // payload 32, ICMPv6, hop limit 255
      0x20, 0x01, 0x0d,  0xb8,  0,    0,    0,    0,
      0,    0,    0,     0,     0,    0,    0x01, 0x00,  // source: the VIP
      0xff, 0x02, 0,     0,     0,    0,    0,    0,
      0,    0,    0,     0,     0,    0,    0,    0x01,  // ff02::1
      136,  0,    f[56], f[57],                          // Neighbor Advertisement, checksum below
      0x20, 0,    0,     0,                              // Override; not Router, not Solicited
      0x20, 0x01, 0x0d,  0xb8,  0,    0,    0,    0,
      0,    0,    0,     0,     0,    0,    0x01, 0x00,  // target: the VIP
      2,    1,    0x02,  0x11,  0x22, 0x33, 0x44, 0x55,  // target link-layer address option
  };
  EXPECT_EQ(f, expected);
  EXPECT_EQ(reference_icmpv6_sum(f), 0xffff) << "the checksum must verify";
  EXPECT_NE(f[56] | f[57], 0);
}

TEST(Garp, AnnouncementFollowsTheVipsFamily) {
  const MacAddress mac = {0x02, 0, 0, 0, 0, 1};
  EXPECT_EQ(announcement_frame(mac, garp_test_vip("20.20.20.1")).size(), kGarpFrameBytes);
  const auto na = announcement_frame(mac, garp_test_vip("2001:db8::1"));
  ASSERT_EQ(na.size(), kUnsolicitedNaFrameBytes);
  EXPECT_EQ(na[12], 0x86);
  EXPECT_EQ(na[54], 136);
}

class GarpAnnouncerTest : public ::testing::Test {
 protected:
  RecordingSender sender_;
  std::vector<std::string> interfaces_ = {"eth0", "eth1"};
  std::vector<IpAddress> vips_ = {garp_test_vip("20.20.20.1")};
  std::mutex targets_mu_;
  GarpAnnouncer::Targets targets() {
    return {[this] {
              std::lock_guard lock(targets_mu_);
              return interfaces_;
            },
            [this] {
              std::lock_guard lock(targets_mu_);
              return vips_;
            }};
  }
  static bool wait_for(const std::function<bool()>& done, std::chrono::milliseconds within) {
    const auto deadline = std::chrono::steady_clock::now() + within;
    while (!done() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(2ms);
    return done();
  }
};

TEST_F(GarpAnnouncerTest, ABurstAtOnceAndAnotherAfterTheDelay) {
  GarpAnnouncer announcer(sender_, targets(), 300ms);
  const auto t0 = std::chrono::steady_clock::now();
  announcer.announce();
  ASSERT_TRUE(wait_for([&] { return sender_.count() == 2; }, 200ms)) << "first burst at once";
  {
    std::lock_guard lock(targets_mu_);
    vips_.push_back(garp_test_vip("2001:db8::2"));  // a rule added meanwhile is announced too
  }
  ASSERT_TRUE(wait_for([&] { return sender_.count() == 4; }, 1s));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 300ms);
  std::this_thread::sleep_for(400ms);
  EXPECT_EQ(sender_.count(), 4u) << "two bursts, no more";
  std::lock_guard lock(sender_.mu);
  EXPECT_EQ(sender_.sent[0].ifname, "eth0");
  EXPECT_EQ(sender_.sent[1].ifname, "eth1");
  EXPECT_EQ(sender_.sent[0].copies, GarpAnnouncer::kCopies);
  EXPECT_EQ(sender_.sent[0].vips.size(), 1u);
  EXPECT_EQ(sender_.sent[3].vips.size(), 2u);
  EXPECT_EQ(announcer.bursts(), 2u);
}

TEST_F(GarpAnnouncerTest, CancelDropsTheRepeat) {
  GarpAnnouncer announcer(sender_, targets(), 200ms);
  announcer.announce();
  ASSERT_TRUE(wait_for([&] { return sender_.count() == 2; }, 150ms));
  announcer.cancel();
  std::this_thread::sleep_for(350ms);
  EXPECT_EQ(sender_.count(), 2u);
}

TEST_F(GarpAnnouncerTest, NothingToAnnounceSendsNothing) {
  {
    std::lock_guard lock(targets_mu_);
    vips_.clear();
  }
  GarpAnnouncer announcer(sender_, targets(), 50ms);
  announcer.announce();
  std::this_thread::sleep_for(150ms);
  EXPECT_EQ(sender_.count(), 0u);
}

}  // namespace
}  // namespace xlb::cluster
