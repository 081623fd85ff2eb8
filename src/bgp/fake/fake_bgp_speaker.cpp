#include "bgp/fake/fake_bgp_speaker.h"

namespace xlb::bgp {

Result<void> FakeBgpSpeaker::maybe_fail() {
  if (fail_calls == 0) return Ok{};
  --fail_calls;
  return Error{ErrorCode::unavailable, "injected speaker failure", ""};
}

Result<void> FakeBgpSpeaker::configure(const BgpConfig& cfg) {
  if (!configurable_) return Error{ErrorCode::conflict, "not configurable", ""};
  XLB_TRY(maybe_fail());
  config = cfg;
  ++configures;
  return Ok{};
}

Result<void> FakeBgpSpeaker::announce(const std::string& prefix, uint32_t med) {
  ++calls;
  XLB_TRY(maybe_fail());
  routes[prefix] = med;
  return Ok{};
}

Result<void> FakeBgpSpeaker::withdraw(const std::string& prefix) {
  ++calls;
  XLB_TRY(maybe_fail());
  routes.erase(prefix);
  return Ok{};
}

Result<std::vector<BgpPeerState>> FakeBgpSpeaker::peers() { return peer_states; }

}  // namespace xlb::bgp
