// FakeBgpSpeaker: a BgpSpeaker in memory for unit tests: the routes it holds, its configuration,
// peers the test sets, injectable failures and restarts.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "bgp/speaker.h"

namespace xlb::bgp {

class FakeBgpSpeaker final : public BgpSpeaker {
 public:
  bool configurable() const override { return configurable_; }
  Result<void> configure(const BgpConfig& cfg) override;
  Result<void> announce(const std::string& prefix, uint32_t med) override;
  Result<void> withdraw(const std::string& prefix) override;
  Result<std::vector<BgpPeerState>> peers() override;
  uint64_t epoch() const override { return epoch_; }

  // The engine restarted: it holds no route.
  void restart() {
    routes.clear();
    ++epoch_;
  }

  std::map<std::string, uint32_t> routes;  // prefix -> MED
  std::vector<BgpPeerState> peer_states;
  BgpConfig config;
  int configures = 0;
  int calls = 0;       // announce + withdraw
  int fail_calls = 0;  // the next n announce/withdraw/configure calls fail
  bool configurable_ = true;

 private:
  Result<void> maybe_fail();
  uint64_t epoch_ = 1;
};

}  // namespace xlb::bgp
