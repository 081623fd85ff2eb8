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
  const std::vector<uint32_t> vips = targets_.vips();
  const std::vector<std::string> interfaces = targets_.interfaces();
  if (vips.empty() || interfaces.empty()) return;
  std::string failed;
  for (const auto& ifname : interfaces) {
    if (auto sent = sender_.send(ifname, vips, kCopies); !sent) {
      failed += (failed.empty() ? "" : "; ") + sent.error().message;
    }
  }
  if (!failed.empty()) {
    spdlog::warn("gratuitous ARPs not sent everywhere: {}", failed);
  } else {
    spdlog::debug("sent gratuitous ARPs for {} VIPs on {} interfaces", vips.size(),
                  interfaces.size());
  }
}

}  // namespace xlb::cluster
