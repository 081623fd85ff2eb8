// Where the packet path runs on an interface. tc: TC ingress only (tcx or clsact). xdp: the XDP
// program (native, in the driver) takes the common path before any socket buffer exists and passes
// what needs one (PPv2, fragments, the L7 hand-off, NAT64) to the TC program behind it
// (docs/architecture.md). Header-only: the Datapath interface library has no sources.
#pragma once

#include <cstddef>
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

// The operator's words for the requests (xlbd --attach, --tc-attach), in the order the option's
// help and errors list them: one table each, read by the name, the parse and the option's check.
template <class E>
struct AttachWord {
  E value;
  std::string_view word;
};
inline constexpr AttachWord<AttachRequest> kAttachRequestWords[] = {
    {AttachRequest::tc, "tc"}, {AttachRequest::xdp, "xdp"}, {AttachRequest::automatic, "auto"}};
inline constexpr AttachWord<TcLinkRequest> kTcLinkRequestWords[] = {
    {TcLinkRequest::automatic, "auto"},
    {TcLinkRequest::tcx, "tcx"},
    {TcLinkRequest::clsact, "clsact"}};

template <class E, size_t N>
std::string_view attach_word(const AttachWord<E> (&words)[N], E value) {
  for (const auto& w : words)
    if (w.value == value) return w.word;
  return words[0].word;
}

template <class E, size_t N>
std::optional<E> parse_attach_word(const AttachWord<E> (&words)[N], std::string_view text) {
  for (const auto& w : words)
    if (w.word == text) return w.value;
  return std::nullopt;
}

inline std::string_view attach_request_name(AttachRequest request) {
  return attach_word(kAttachRequestWords, request);
}

// "tc", "xdp" or "auto"; nullopt for anything else.
inline std::optional<AttachRequest> parse_attach_request(std::string_view text) {
  return parse_attach_word(kAttachRequestWords, text);
}

inline std::string_view tc_link_name(TcLink link) { return link == TcLink::tcx ? "tcx" : "clsact"; }

inline std::string_view tc_link_request_name(TcLinkRequest request) {
  return attach_word(kTcLinkRequestWords, request);
}

// "auto", "tcx" or "clsact"; nullopt for anything else.
inline std::optional<TcLinkRequest> parse_tc_link_request(std::string_view text) {
  return parse_attach_word(kTcLinkRequestWords, text);
}

}  // namespace xlb
