#include "bgp/announcer.h"

#include <spdlog/spdlog.h>

#include <vector>

#include "common/ip.h"

namespace xlb::bgp {

Routes desired_routes(const AnnouncerInputs& inputs) {
  Routes out;
  // A host route of the VIP's family: /32, or /128 in the IPv6 unicast family.
  for (const auto& vip : inputs.serving_vips)
    out[vip + (family_of(vip) == XLB_AF_INET6 ? "/128" : "/32")] =
        inputs.backup ? kMedBackup : kMedActive;
  return out;
}

void BgpAnnouncer::sync(const Routes& desired) {
  if (speaker_.epoch() != epoch_) {
    epoch_ = speaker_.epoch();
    announced_.clear();  // the engine restarted empty
  }
  std::vector<std::string> gone;
  for (const auto& [prefix, med] : announced_)
    if (!desired.contains(prefix)) gone.push_back(prefix);
  for (const auto& prefix : gone) {
    if (auto r = speaker_.withdraw(prefix); !r) {
      spdlog::warn("bgp: cannot withdraw {} (retrying): {}", prefix, r.error().message);
      continue;
    }
    announced_.erase(prefix);
    spdlog::info("bgp: withdrew {}", prefix);
  }
  for (const auto& [prefix, med] : desired) {
    auto it = announced_.find(prefix);
    if (it != announced_.end() && it->second == med) continue;
    if (auto r = speaker_.announce(prefix, med); !r) {
      spdlog::warn("bgp: cannot announce {} (retrying): {}", prefix, r.error().message);
      continue;
    }
    announced_[prefix] = med;
    spdlog::info("bgp: announced {} med {}", prefix, med);
  }
}

}  // namespace xlb::bgp
