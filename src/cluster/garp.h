// Gratuitous ARPs (IPv4 VIPs) and unsolicited Neighbor Advertisements (IPv6 VIPs) on becoming
// MASTER: every neighbour that cached the old MASTER's MAC for a VIP learns the new one at once,
// instead of when its entry goes stale. A burst at once and another
// about a second later: Linux ignores an ARP update within `locktime` (1 s) of the last one
// unless it is gratuitous, and a switch or a busy host may drop the first.
#pragma once

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/ip.h"
#include "common/result.h"

namespace xlb::cluster {

inline constexpr size_t kGarpFrameBytes = 42;  // Ethernet (14) + ARP for IPv4 (28)
// Ethernet (14) + IPv6 (40) + Neighbor Advertisement (24) + target link-layer address option (8)
inline constexpr size_t kUnsolicitedNaFrameBytes = 86;
using MacAddress = std::array<uint8_t, 6>;

// A gratuitous ARP request (RFC 5227 announcement): broadcast from `mac`, sender and target
// protocol address both `vip` (network byte order), target hardware address zero.
std::array<uint8_t, kGarpFrameBytes> garp_frame(const MacAddress& mac, uint32_t vip);
// An unsolicited Neighbor Advertisement (RFC 4861 7.2.6) for an IPv6 VIP: from the VIP to all
// nodes (ff02::1, 33:33:00:00:00:01), hop limit 255, Override set and Solicited clear, with the
// target link-layer address option naming `mac`; the ICMPv6 checksum filled in.
std::array<uint8_t, kUnsolicitedNaFrameBytes> unsolicited_na_frame(const MacAddress& mac,
                                                                   const xlb_ip& vip);
// The announcement of one VIP: a gratuitous ARP or an unsolicited NA, by its family.
std::vector<uint8_t> announcement_frame(const MacAddress& mac, const IpAddress& vip);

// Puts frames on the wire: the daemon's packet socket; a recorder in tests.
class GarpSender {
 public:
  virtual ~GarpSender() = default;
  // `copies` announcements (announcement_frame) for each VIP on interface `ifname`.
  virtual Result<void> send(const std::string& ifname, const std::vector<IpAddress>& vips,
                            unsigned copies) = 0;
};

// What the HA controller asks for on becoming MASTER, and on leaving it.
class Announcer {
 public:
  virtual ~Announcer() = default;
  virtual void announce() = 0;  // start a burst now and one ~1 s later
  virtual void cancel() = 0;    // no longer MASTER: drop what has not been sent
};

class GarpAnnouncer final : public Announcer {
 public:
  struct Targets {
    std::function<std::vector<std::string>()> interfaces;  // where the datapath answers ARP
    std::function<std::vector<IpAddress>()> vips;
  };
  static constexpr unsigned kCopies = 3;  // per VIP, interface and burst

  GarpAnnouncer(GarpSender& sender, Targets targets,
                std::chrono::milliseconds repeat_after = std::chrono::seconds(1));
  ~GarpAnnouncer() override;
  GarpAnnouncer(const GarpAnnouncer&) = delete;
  GarpAnnouncer& operator=(const GarpAnnouncer&) = delete;

  void announce() override;
  void cancel() override;
  // Bursts sent since start (each: every VIP on every interface).
  uint64_t bursts() const;

 private:
  void run();
  void burst();

  GarpSender& sender_;
  Targets targets_;
  std::chrono::milliseconds repeat_after_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  // Bursts still due, oldest first (steady clock).
  std::vector<std::chrono::steady_clock::time_point> due_;
  uint64_t bursts_ = 0;
  std::thread thread_;
};

}  // namespace xlb::cluster
