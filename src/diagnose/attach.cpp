// Where the packet path runs: the hook of each interface, and veths on XDP whose peer has no
// NAPI (frames XDP redirects into them are dropped by the kernel, counted nowhere xlb sees).
#include "diagnose/checks.h"

namespace xlb::diagnose {
namespace {

std::string hooks_title(const AttachStatus& attach) {
  std::vector<std::string> xdp, tc;
  for (const auto& a : attach.interfaces)
    (a.hook == AttachHook::xdp ? xdp : tc).push_back(a.ifname);
  std::string title = "The packet path runs";
  if (!xdp.empty()) title += " in XDP on " + join(xdp);
  if (!xdp.empty() && !tc.empty()) title += " and";
  if (!tc.empty()) title += " at TC ingress on " + join(tc);
  return title + " (xlbd --attach=" + std::string(attach_request_name(attach.requested)) + ").";
}

// "ip netns exec ns ethtool -K peer <what>", for a fix.
std::string peer_ethtool(const VethPeerFact& p, const std::string& what) {
  const std::string ns = p.peer_netns.empty() ? "" : "ip netns exec " + p.peer_netns + " ";
  return ns + "ethtool -K " + (p.peer_if.empty() ? "<peer>" : p.peer_if) + " " + what;
}

std::string peer_fix(const VethPeerFact& p) {
  return "on the peer: " + peer_ethtool(p, "gro on tx off") +
         " (GRO gives it NAPI, or give it an XDP program; TX checksum offload off makes what it "
         "sends carry full checksums); or run xlbd with --attach=tc.";
}

}  // namespace

void check_attach(const Snapshot& s, Report& r) {
  const AttachStatus& attach = s.attach;
  bool any_xdp = false;
  for (const auto& a : attach.interfaces) any_xdp |= a.hook == AttachHook::xdp;
  // The default (tc everywhere) needs no word.
  if (attach.requested == AttachRequest::tc && !any_xdp) return;
  r.checked.push_back(
      "each interface's hook, and whether the veth peers of those on xdp have NAPI");
  Finding hooks{Severity::info, "attach_hooks", hooks_title(attach), {}, ""};
  for (const auto& a : attach.interfaces) {
    hooks.evidence.push_back(a.ifname + ": " + std::string(attach_hook_name(a.hook)));
  }
  if (attach.requested == AttachRequest::automatic && !attach.interfaces.empty() && !any_xdp) {
    hooks.evidence.push_back("--attach=auto found no driver with native XDP here.");
  }
  r.findings.push_back(std::move(hooks));

  for (const auto& p : s.veth_peers) {
    if (!p.checked) {
      r.findings.push_back({Severity::info,
                            "veth_peer_unchecked",
                            "Could not check the veth peer of " + p.ifname + " (" + p.error +
                                "): frames XDP redirects into " + p.ifname +
                                " are dropped unless that peer has GRO on or an XDP program.",
                            {},
                            peer_fix(p)});
      continue;
    }
    if (p.tx_csum) {
      r.findings.push_back(
          {Severity::warning,
           "veth_peer_tx_csum",
           "Packets sent into " + p.ifname + " by " + p.peer +
               " may leave XDP with bad checksums: TX checksum offload is on there, so a local "
               "sender's checksum is left for hardware to finish, which XDP cannot see.",
           {p.peer + ": tx-checksumming on.",
            "the kernel drops a forwarded segment with a bad checksum at the client or "
            "endpoint (connections hang in syn-sent); traffic from a physical wire carries full "
            "checksums and is not affected."},
           "on the peer: " + peer_ethtool(p, "tx off") + "; or run xlbd with --attach=tc."});
    }
    if (p.xdp || p.gro) continue;
    r.findings.push_back(
        {Severity::warning,
         "veth_peer_no_napi",
         "Frames XDP redirects into " + p.ifname + " will be dropped: its veth peer " + p.peer +
             " has neither an XDP program nor GRO on, so it has no NAPI to receive them.",
         {p.peer + ": generic-receive-offload off, no XDP program.",
          p.ifname + " is on xdp: traffic forwarded out of it (or answered back through it) is "
                     "lost, while the kernel's own traffic still passes."},
         peer_fix(p)});
  }
}

}  // namespace xlb::diagnose
