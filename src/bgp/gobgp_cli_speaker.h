// BgpSpeaker over the `gobgp` CLI (Debian's gobgpd package ships it), talking to gobgpd's gRPC
// API. The CLI rather than generated gRPC code: see docs/architecture.md (BGP) for the measured
// build cost. Configuration goes through GobgpdProcess's file (gobgpd's CLI cannot set a
// neighbour's password or timers); with an operator's gobgpd (--bgp-api) xlb only announces
// and reads.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "bgp/gobgpd_process.h"
#include "bgp/speaker.h"

namespace xlb::bgp {

class GobgpCliSpeaker final : public BgpSpeaker {
 public:
  // `own`: xlbd's gobgpd (configure() works), or null for an operator's at host:port.
  GobgpCliSpeaker(std::string host, uint16_t port, GobgpdProcess* own);

  bool configurable() const override { return own_ != nullptr; }
  Result<void> configure(const BgpConfig& cfg) override;
  Result<void> announce(const std::string& prefix, uint32_t med) override;
  Result<void> withdraw(const std::string& prefix) override;
  Result<std::vector<BgpPeerState>> peers() override;
  uint64_t epoch() const override { return own_ ? own_->epoch() : 1; }

 private:
  Result<std::string> gobgp(std::vector<std::string> args);

  std::string host_;
  uint16_t port_;
  GobgpdProcess* own_;
};

// `gobgp global rib <verb> <prefix> -a ipv4|ipv6 [med N]`: the family follows the prefix.
std::vector<std::string> gobgp_rib_args(const std::string& verb, const std::string& prefix,
                                        std::optional<uint32_t> med);
// The peers in `gobgp neighbor -j` output (advertised counts come separately).
Result<std::vector<BgpPeerState>> peers_from_gobgp_json(const std::string& text, uint64_t now_s);
// The advertised prefix count in `gobgp neighbor <address> -j` output.
uint32_t advertised_from_gobgp_json(const std::string& text);

}  // namespace xlb::bgp
