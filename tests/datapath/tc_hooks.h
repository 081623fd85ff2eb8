// What runs at an interface's TC ingress, asked of the kernel: xlb's clsact filter (by its
// handle) and the programs of tcx links.
#pragma once

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cstdint>
#include <vector>

#include "datapath/tc_attach.h"
#include "datapath/tcx_link.h"

namespace xlbtest {

// Whether xlb's TC filter is on the interface's clsact ingress.
inline bool clsact_filter_present(int ifindex) {
  bpf_tc_hook hook{};
  hook.sz = sizeof hook;
  hook.ifindex = ifindex;
  hook.attach_point = BPF_TC_INGRESS;
  bpf_tc_opts opts{};
  opts.sz = sizeof opts;
  opts.handle = xlb::kTcHandleLb;
  opts.priority = 1;
  return bpf_tc_query(&hook, &opts) == 0;
}

// The ids of the programs at the interface's tcx ingress (BPF_PROG_QUERY).
inline std::vector<uint32_t> tcx_prog_ids(int ifindex) {
  uint32_t ids[8] = {};
  uint32_t count = 8;
  uint32_t flags = 0;
  if (bpf_prog_query(ifindex, static_cast<bpf_attach_type>(xlb::kBpfTcxIngressAttachType), 0,
                     &flags, ids, &count) != 0)
    return {};
  return {ids, ids + count};
}

// Whether xlb's TC program is at the interface's ingress, either way.
inline bool tc_program_present(int ifindex) {
  return clsact_filter_present(ifindex) || !tcx_prog_ids(ifindex).empty();
}

}  // namespace xlbtest
