// Where the packet path runs: the hook of each interface, and veths on XDP whose peer lacks what
// it needs to receive XDP's frames (the kernel drops them, counted nowhere xlb sees).
#include "diagnose/checks.h"

namespace xlb::diagnose {
namespace {

std::string hooks_title(const AttachStatus& attach) {
  std::vector<std::string> xdp, tcx, clsact;
  for (const auto& a : attach.interfaces) {
    if (a.hook == AttachHook::xdp)
      xdp.push_back(a.ifname);
    else
      (a.tc_link == TcLink::tcx ? tcx : clsact).push_back(a.ifname);
  }
  std::vector<std::string> parts;
  if (!xdp.empty()) parts.push_back("in XDP on " + join(xdp));
  if (!tcx.empty()) parts.push_back("at TC ingress (tcx) on " + join(tcx));
  if (!clsact.empty()) parts.push_back("at TC ingress (clsact) on " + join(clsact));
  std::string title = "The packet path runs";
  for (size_t i = 0; i < parts.size(); ++i) title += (i == 0 ? " " : " and ") + parts[i];
  return title + " (xlbd --attach=" + std::string(attach_request_name(attach.requested)) + ").";
}

// "eth0: xdp, the TC program behind it on tcx", "eth1: tc on clsact".
std::string hook_evidence(const Attachment& a) {
  const std::string link(tc_link_name(a.tc_link));
  return a.ifname + ": " +
         (a.hook == AttachHook::xdp ? "xdp, the TC program behind it on " + link : "tc on " + link);
}

// "ip netns exec ns <command>" run on the peer, for a fix.
std::string on_peer(const VethPeerFact& p, const std::string& command) {
  return (p.peer_netns.empty() ? "" : "ip netns exec " + p.peer_netns + " ") + command;
}

std::string peer_name(const VethPeerFact& p) { return p.peer_if.empty() ? "<peer>" : p.peer_if; }

std::string peer_ethtool(const VethPeerFact& p, const std::string& what) {
  return on_peer(p, "ethtool -K " + peer_name(p) + " " + what);
}

// The pass-everything program xlb installs for exactly this (bpf/xlb_xdp_pass.bpf.c).
std::string peer_xdp_pass(const VethPeerFact& p) {
  return on_peer(
      p, "ip link set dev " + peer_name(p) + " xdpdrv obj /usr/lib/xlb/xlb_xdp_pass.bpf.o sec xdp");
}

std::string peer_fix(const VethPeerFact& p) {
  return "on the peer: " + peer_xdp_pass(p) + " and " + peer_ethtool(p, "tx off") +
         " (an XDP program gives it NAPI for every frame XDP sends; TX checksum offload off makes "
         "what it sends carry full checksums); or run xlbd with --attach=tc.";
}

// The peer lacks a native XDP program: with GRO, only what XDP sends back out of the same veth
// (XDP_TX) is lost; without, everything XDP sends into it.
Finding peer_napi_finding(const VethPeerFact& p) {
  if (p.gro) {
    return {Severity::warning,
            "veth_peer_no_xdp",
            "Frames XDP sends back out of " + p.ifname + " will be dropped: its veth peer " +
                p.peer + " has no XDP program, and GRO alone does not wake it for them.",
            {p.peer + ": generic-receive-offload on, no XDP program in driver mode.",
             "lost: what arrives on " + p.ifname +
                 " and leaves by it again (ARP and ping "
                 "answers for VIPs, one-arm NAT/FullNAT, L2-DSR on one link); frames forwarded "
                 "into " +
                 p.ifname + " from another interface still arrive."},
            peer_fix(p)};
  }
  return {Severity::warning,
          "veth_peer_no_napi",
          "Frames XDP sends into " + p.ifname + " will be dropped: its veth peer " + p.peer +
              " has neither an XDP program nor GRO on, so it has no NAPI to receive them.",
          {p.peer + ": generic-receive-offload off, no XDP program in driver mode.",
           p.ifname + " is on xdp: traffic forwarded out of it (or answered back through it) is "
                      "lost, while the kernel's own traffic still passes."},
          peer_fix(p)};
}

}  // namespace

void check_attach(const Snapshot& s, Report& r) {
  const AttachStatus& attach = s.attach;
  bool any_xdp = false;
  for (const auto& a : attach.interfaces) any_xdp |= a.hook == AttachHook::xdp;
  // The default (tc everywhere) needs no word.
  if (attach.requested == AttachRequest::tc && !any_xdp) return;
  r.checked.push_back(
      "each interface's hook, and whether the veth peers of those on xdp can receive its frames");
  Finding hooks{Severity::info, "attach_hooks", hooks_title(attach), {}, ""};
  for (const auto& a : attach.interfaces) {
    hooks.evidence.push_back(hook_evidence(a));
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
                                "): frames XDP sends into " + p.ifname +
                                " are dropped unless that peer has an XDP program.",
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
    if (!p.xdp) r.findings.push_back(peer_napi_finding(p));
  }
}

}  // namespace xlb::diagnose
