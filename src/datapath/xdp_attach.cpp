#include "datapath/xdp_attach.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace xlb {
namespace {

// The id of the program attached in driver mode, 0 for none.
uint32_t xdp_driver_prog_id(int ifindex) {
  uint32_t id = 0;
  if (bpf_xdp_query_id(ifindex, XDP_FLAGS_DRV_MODE, &id) != 0) return 0;
  return id;
}

// The name of program `id`, and a new fd for it in *fd (the caller closes it) when asked.
std::string xdp_prog_name(uint32_t id, int* fd = nullptr) {
  int prog = bpf_prog_get_fd_by_id(id);
  if (prog < 0) return {};
  bpf_prog_info info{};
  uint32_t len = sizeof info;
  std::string name;
  if (bpf_obj_get_info_by_fd(prog, &info, &len) == 0) name = info.name;
  if (fd)
    *fd = prog;
  else
    close(prog);
  return name;
}

}  // namespace

bool xdp_own_attached(int ifindex) {
  uint32_t id = xdp_driver_prog_id(ifindex);
  return id != 0 && xdp_prog_name(id) == kXdpProgramName;
}

Result<XdpAttachOutcome> xdp_attach_native(int ifindex, const std::string& ifname, int prog_fd) {
  int old_fd = -1;
  const uint32_t current = xdp_driver_prog_id(ifindex);
  if (current != 0) {
    std::string name = xdp_prog_name(current, &old_fd);
    if (name != kXdpProgramName) {
      if (old_fd >= 0) close(old_fd);
      return Error{ErrorCode::datapath,
                   ifname + " already runs another XDP program (" +
                       (name.empty() ? "id " + std::to_string(current) : name) +
                       "): remove it, or start xlbd with --attach=tc",
                   "attach"};
    }
  }
  // Replace only the program seen above (atomic, no gap); else only if none appeared since.
  LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = old_fd);
  const uint32_t flags =
      XDP_FLAGS_DRV_MODE | (old_fd >= 0 ? XDP_FLAGS_REPLACE : XDP_FLAGS_UPDATE_IF_NOEXIST);
  int rc = bpf_xdp_attach(ifindex, prog_fd, flags, &opts);
  if (old_fd >= 0) close(old_fd);
  if (rc == -EOPNOTSUPP) return XdpAttachOutcome::no_native_xdp;
  if (rc != 0)
    return Error{ErrorCode::datapath,
                 "cannot attach the XDP program to " + ifname + ": " + std::strerror(-rc),
                 "attach"};
  return XdpAttachOutcome::attached;
}

Result<void> xdp_detach_own(int ifindex, const std::string& ifname) {
  const uint32_t current = xdp_driver_prog_id(ifindex);
  if (current == 0) return Ok{};
  int old_fd = -1;
  if (xdp_prog_name(current, &old_fd) != kXdpProgramName) {
    if (old_fd >= 0) close(old_fd);
    return Ok{};
  }
  // Only if it is still that program (XDP_FLAGS_REPLACE with no new program detaches).
  LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = old_fd);
  int rc = bpf_xdp_attach(ifindex, -1, XDP_FLAGS_DRV_MODE | XDP_FLAGS_REPLACE, &opts);
  close(old_fd);
  if (rc == 0 || rc == -ENODEV || rc == -EEXIST) return Ok{};
  return Error{ErrorCode::datapath,
               "cannot detach the XDP program from " + ifname + ": " + std::strerror(-rc), ""};
}

}  // namespace xlb
