// BgpSpeaker: what xlb asks of a BGP engine (gobgpd). xlb decides what to announce; the engine
// speaks BGP. The announcement logic and the API are tested against fake/FakeBgpSpeaker.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bgp/bgp_config.h"
#include "common/result.h"

namespace xlb::bgp {

struct BgpPeerState {
  std::string address;
  uint32_t remote_as = 0;
  std::string state;                 // Idle, Connect, Active, OpenSent, OpenConfirm, Established
  std::optional<uint64_t> uptime_s;  // while Established
  uint32_t advertised = 0;           // prefixes sent to this peer
};

class BgpSpeaker {
 public:
  virtual ~BgpSpeaker() = default;
  // Whether xlb configures the engine (its own gobgpd) or an operator does (--bgp-api).
  virtual bool configurable() const = 0;
  // Makes the engine run with these settings (this node's AS, router id, neighbours, and an
  // import policy that accepts nothing). Neighbour changes keep the other sessions up.
  virtual Result<void> configure(const BgpConfig& cfg) = 0;
  // A host route to `prefix` ("10.0.0.100/32", "2001:db8::100/128") with next hop self and
  // this MED.
  virtual Result<void> announce(const std::string& prefix, uint32_t med) = 0;
  virtual Result<void> withdraw(const std::string& prefix) = 0;
  virtual Result<std::vector<BgpPeerState>> peers() = 0;
  // Changes whenever the engine lost what it was told (it restarted): announce everything again.
  virtual uint64_t epoch() const = 0;
};

}  // namespace xlb::bgp
