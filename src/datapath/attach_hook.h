// Where the packet path runs on an interface. tc: TC ingress only (tcx or clsact). xdp: the XDP
// program (native, in the driver) takes the common path before any socket buffer exists and passes
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

// How the TC ingress program (alone, or behind XDP) is attached: tcx, a bpf_link with no
// qdisc or filter layer (Linux >= 6.6), or a cls_bpf filter on a clsact qdisc.
enum class TcLink : uint8_t { tcx, clsact };

// What the operator asked for (xlbd --tc-attach): automatic = tcx where the kernel accepts a
// tcx link, else clsact.
enum class TcLinkRequest : uint8_t { tcx, clsact, automatic };

struct Attachment {
  std::string ifname;
  AttachHook hook = AttachHook::tc;
  TcLink tc_link = TcLink::clsact;
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

inline std::string_view tc_link_name(TcLink link) { return link == TcLink::tcx ? "tcx" : "clsact"; }

inline std::string_view tc_link_request_name(TcLinkRequest request) {
  switch (request) {
    case TcLinkRequest::tcx:
      return "tcx";
    case TcLinkRequest::clsact:
      return "clsact";
    case TcLinkRequest::automatic:
      break;
  }
  return "auto";
}

// "auto", "tcx" or "clsact"; nullopt for anything else.
inline std::optional<TcLinkRequest> parse_tc_link_request(std::string_view text) {
  if (text == "tcx") return TcLinkRequest::tcx;
  if (text == "clsact") return TcLinkRequest::clsact;
  if (text == "auto") return TcLinkRequest::automatic;
  return std::nullopt;
}

}  // namespace xlb
