// Where the packet path runs on an interface. tc: clsact ingress only. xdp: the XDP program
// (native, in the driver) takes the common path before any socket buffer exists and passes
// what needs one (PPv2, fragments, the L7 hand-off, NAT64) to the TC program behind it
// (docs/architecture.md). Header-only: the Datapath interface library has no sources.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace xlb {

// The hook an interface is attached with.
enum class AttachHook : uint8_t { tc, xdp };

// What the operator asked for (xlbd --attach): automatic = native XDP where the driver
// supports it, else tc, decided per interface.
enum class AttachRequest : uint8_t { tc, xdp, automatic };

struct Attachment {
  std::string ifname;
  AttachHook hook = AttachHook::tc;
};

inline std::string_view attach_hook_name(AttachHook hook) {
  return hook == AttachHook::xdp ? "xdp" : "tc";
}

inline std::string_view attach_request_name(AttachRequest request) {
  switch (request) {
    case AttachRequest::xdp:
      return "xdp";
    case AttachRequest::automatic:
      return "auto";
    case AttachRequest::tc:
      break;
  }
  return "tc";
}

// "tc", "xdp" or "auto"; nullopt for anything else.
inline std::optional<AttachRequest> parse_attach_request(std::string_view text) {
  if (text == "tc") return AttachRequest::tc;
  if (text == "xdp") return AttachRequest::xdp;
  if (text == "auto") return AttachRequest::automatic;
  return std::nullopt;
}

}  // namespace xlb
