#include "datapath/tc_attach.h"

#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>

namespace xlb {
namespace {

constexpr uint32_t kTcPriority = 1;

bpf_tc_hook ingress_hook(int ifindex) {
  bpf_tc_hook hook{};
  hook.sz = sizeof hook;
  hook.ifindex = ifindex;
  hook.attach_point = BPF_TC_INGRESS;
  return hook;
}

bpf_tc_opts filter_opts(int prog_fd, uint32_t handle) {
  bpf_tc_opts opts{};
  opts.sz = sizeof opts;
  opts.handle = handle;
  opts.priority = kTcPriority;
  opts.prog_fd = prog_fd;
  return opts;
}

}  // namespace

Result<void> tc_attach_ingress(int ifindex, const std::string& ifname, int prog_fd,
                               uint32_t handle) {
  bpf_tc_hook hook = ingress_hook(ifindex);
  int rc = bpf_tc_hook_create(&hook);
  if (rc != 0 && rc != -EEXIST)
    return Error{ErrorCode::datapath,
                 "cannot create the clsact qdisc on " + ifname + ": " + std::strerror(-rc),
                 "interfaces"};
  bpf_tc_opts opts = filter_opts(prog_fd, handle);
  opts.flags = BPF_TC_F_REPLACE;
  rc = bpf_tc_attach(&hook, &opts);
  if (rc != 0)
    return Error{ErrorCode::datapath, "cannot attach to " + ifname + ": " + std::strerror(-rc),
                 "interfaces"};
  return Ok{};
}

Result<void> tc_detach_ingress(int ifindex, const std::string& ifname, uint32_t handle) {
  bpf_tc_hook hook = ingress_hook(ifindex);
  bpf_tc_opts opts = filter_opts(0, handle);
  int rc = bpf_tc_detach(&hook, &opts);
  if (rc == 0 || rc == -ENOENT || rc == -EINVAL) return Ok{};
  return Error{ErrorCode::datapath, "cannot detach from " + ifname + ": " + std::strerror(-rc), ""};
}

}  // namespace xlb
