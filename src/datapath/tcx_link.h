// tcx ingress attach/detach (Linux >= 6.6): the TC program runs from a bpf_link, with no clsact
// qdisc or cls_bpf filter around it. The link is pinned in xlbd's bpffs directory so it
// outlives xlbd, as a clsact filter does; a restarted xlbd swaps the program in it atomically.
#pragma once

#include <string>

#include "common/result.h"

namespace xlb {

// BPF_TCX_INGRESS of enum bpf_attach_type (Linux >= 6.6 uapi; checked on 6.18 with `bpftool btf
// dump file /sys/kernel/btf/vmlinux | grep BPF_TCX_INGRESS`). Debian 12's <linux/bpf.h> and
// libbpf 1.1 predate it; bpf_link_create and bpf_prog_query pass an attach type they do not know
// to the kernel.
inline constexpr int kBpfTcxIngressAttachType = 46;

enum class TcxAttachOutcome {
  attached,     // a new link, or the pinned one now runs prog_fd
  unsupported,  // the kernel has no tcx (refused the link): nothing changed
};

// The pin of the tcx link on `ifname` in pin_dir ("" without a pin dir).
std::string tcx_pin_path(const std::string& pin_dir, const std::string& ifname);

// Runs prog_fd at ifindex's tcx ingress: updates the link *link_fd (the one this process holds,
// or -1), else the one pinned at pin_path, if still live; else creates one and pins it at
// pin_path unless that is empty. *link_fd receives the link now in use (the caller closes it
// and, if it changed, the one it held; without a pin, closing the last fd detaches).
Result<TcxAttachOutcome> tcx_attach_ingress(int ifindex, const std::string& ifname, int prog_fd,
                                            const std::string& pin_path, int* link_fd);
// Detaches the link (link_fd, else the one pinned at pin_path) and removes the pin; none there
// is fine. link_fd stays the caller's to close.
Result<void> tcx_detach(int link_fd, const std::string& pin_path, const std::string& ifname);

}  // namespace xlb
