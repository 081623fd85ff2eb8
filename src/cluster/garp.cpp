#include "cluster/garp.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

namespace xlb::cluster {

std::array<uint8_t, kGarpFrameBytes> garp_frame(const MacAddress& mac, uint32_t vip) {
  std::array<uint8_t, kGarpFrameBytes> f{};
  std::fill_n(f.begin(), 6, 0xff);                   // destination: broadcast
  std::copy(mac.begin(), mac.end(), f.begin() + 6);  // source
  f[12] = 0x08;                                      // ethertype ARP
  f[13] = 0x06;
  const uint8_t arp_head[8] = {0x00, 0x01,   // hardware: Ethernet
                               0x08, 0x00,   // protocol: IPv4
                               6,    4,      // address lengths
                               0x00, 0x01};  // request
  std::memcpy(f.data() + 14, arp_head, sizeof arp_head);
  std::copy(mac.begin(), mac.end(), f.begin() + 22);  // sender hardware address
  std::memcpy(f.data() + 28, &vip, 4);                // sender protocol address
  // target hardware address (32..37) stays zero
  std::memcpy(f.data() + 38, &vip, 4);  // target protocol address = sender's: gratuitous
  return f;
}

namespace {

// The ICMPv6 checksum over the IPv6 pseudo-header (addresses, length, next header 58).
uint16_t icmpv6_checksum(const uint8_t* ip6_header, const uint8_t* icmp, size_t len) {
  uint32_t sum = 0;
  auto add = [&sum](const uint8_t* p, size_t n) {
    for (size_t i = 0; i + 1 < n; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
    if (n % 2) sum += static_cast<uint32_t>(p[n - 1] << 8);
  };
  add(ip6_header + 8, 32);  // source and destination
  sum += static_cast<uint32_t>(len) + 58;
  add(icmp, len);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

}  // namespace

std::array<uint8_t, kUnsolicitedNaFrameBytes> unsolicited_na_frame(const MacAddress& mac,
                                                                   const xlb_ip& vip) {
  constexpr size_t kEth = 14, kIp6 = 40, kNa = 32;  // NA 24 + option 8
  std::array<uint8_t, kUnsolicitedNaFrameBytes> f{};
  const uint8_t all_nodes_mac[6] = {0x33, 0x33, 0, 0, 0, 1};
  std::memcpy(f.data(), all_nodes_mac, 6);
  std::copy(mac.begin(), mac.end(), f.begin() + 6);
  f[12] = 0x86;  // ethertype IPv6
  f[13] = 0xdd;
  uint8_t* ip = f.data() + kEth;
  ip[0] = 0x60;  // version 6, traffic class and flow label 0
  ip[4] = 0;
  ip[5] = kNa;                     // payload length
  ip[6] = 58;                      // next header: ICMPv6
  ip[7] = 255;                     // hop limit: receivers drop ND messages that crossed a router
  std::memcpy(ip + 8, vip.w, 16);  // source: the VIP
  ip[24] = 0xff;                   // destination ff02::1
  ip[25] = 0x02;
  ip[39] = 0x01;
  uint8_t* na = ip + kIp6;
  na[0] = 136;                     // Neighbor Advertisement
  na[4] = 0x20;                    // flags: Override (Router and Solicited clear)
  std::memcpy(na + 8, vip.w, 16);  // target address
  na[24] = 2;                      // option: target link-layer address
  na[25] = 1;                      // length in units of 8 bytes
  std::copy(mac.begin(), mac.end(), na + 26);
  const uint16_t sum = icmpv6_checksum(ip, na, kNa);
  na[2] = static_cast<uint8_t>(sum >> 8);
  na[3] = static_cast<uint8_t>(sum);
  return f;
}

std::vector<uint8_t> announcement_frame(const MacAddress& mac, const IpAddress& vip) {
  if (vip.v6()) {
    const auto f = unsolicited_na_frame(mac, vip.addr);
    return {f.begin(), f.end()};
  }
  const auto f = garp_frame(mac, vip.addr.w[0]);
  return {f.begin(), f.end()};
}

GarpAnnouncer::GarpAnnouncer(GarpSender& sender, Targets targets,
                             std::chrono::milliseconds repeat_after)
    : sender_(sender), targets_(std::move(targets)), repeat_after_(repeat_after) {
  thread_ = std::thread([this] { run(); });
}

GarpAnnouncer::~GarpAnnouncer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void GarpAnnouncer::announce() {
  {
    std::lock_guard lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    due_ = {now, now + repeat_after_};
  }
  cv_.notify_all();
}

void GarpAnnouncer::cancel() {
  std::lock_guard lock(mu_);
  due_.clear();
}

uint64_t GarpAnnouncer::bursts() const {
  std::lock_guard lock(mu_);
  return bursts_;
}

void GarpAnnouncer::run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (due_.empty()) {
      cv_.wait(lock, [this] { return stopping_ || !due_.empty(); });
      continue;
    }
    const auto next = due_.front();
    if (cv_.wait_until(lock, next, [this, next] {
          return stopping_ || due_.empty() || due_.front() != next;
        })) {
      continue;  // stopped, cancelled or rescheduled
    }
    due_.erase(due_.begin());
    lock.unlock();
    burst();  // sockets and the targets' own locks: never under ours
    lock.lock();
    ++bursts_;
  }
}

void GarpAnnouncer::burst() {
  const std::vector<IpAddress> vips = targets_.vips();
  const std::vector<std::string> interfaces = targets_.interfaces();
  if (vips.empty() || interfaces.empty()) return;
  std::string failed;
  for (const auto& ifname : interfaces) {
    if (auto sent = sender_.send(ifname, vips, kCopies); !sent) {
      failed += (failed.empty() ? "" : "; ") + sent.error().message;
    }
  }
  if (!failed.empty()) {
    spdlog::warn("gratuitous ARPs / unsolicited NAs not sent everywhere: {}", failed);
  } else {
    spdlog::debug("sent gratuitous ARPs / unsolicited NAs for {} VIPs on {} interfaces",
                  vips.size(), interfaces.size());
  }
}

}  // namespace xlb::cluster
