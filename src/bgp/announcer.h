// BgpAnnouncer: decides which VIP routes this node announces and keeps the speaker's routes
// equal to that. A VIP is announced (as a /32) while one of its rules can take new flows (an
// eligible endpoint, or a --failopen rule's endpoints), with MED 10 on an active node and 100
// on an HA BACKUP (or FAULT) node, so routers prefer the active nodes and keep the backup as a
// path of last resort. Failed speaker calls are retried at the next sync; a speaker that lost
// its routes (a new epoch) gets all of them again.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "bgp/speaker.h"

namespace xlb::bgp {

inline constexpr uint32_t kMedActive = 10;
inline constexpr uint32_t kMedBackup = 100;

struct AnnouncerInputs {
  std::set<std::string> serving_vips;  // VIPs with a rule able to take new flows
  bool backup = false;                 // this node's HA state is BACKUP or FAULT
};

// prefix ("10.0.0.100/32", "2001:db8::100/128") -> MED.
using Routes = std::map<std::string, uint32_t>;

Routes desired_routes(const AnnouncerInputs& inputs);

class BgpAnnouncer {
 public:
  explicit BgpAnnouncer(BgpSpeaker& speaker) : speaker_(speaker) {}

  // Announces, re-announces with a new MED, and withdraws until the speaker holds `desired`.
  void sync(const Routes& desired);
  // Withdraws every route this node announced (clean shutdown).
  void withdraw_all() { sync({}); }
  const Routes& announced() const { return announced_; }

 private:
  BgpSpeaker& speaker_;
  Routes announced_;  // what the speaker holds, as far as xlb knows
  uint64_t epoch_ = 0;
};

}  // namespace xlb::bgp
