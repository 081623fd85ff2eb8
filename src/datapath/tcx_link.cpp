#include "datapath/tcx_link.h"

#include <bpf/bpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace xlb {
namespace {

// The kernel's answers to a link type or attach type it does not know.
bool tcx_refused_by_kernel(int err) { return err == EINVAL || err == EOPNOTSUPP; }

Error tcx_error(const std::string& what, const std::string& ifname, int err) {
  return Error{ErrorCode::datapath, what + " " + ifname + ": " + std::strerror(err), "interfaces"};
}

}  // namespace

std::string tcx_pin_path(const std::string& pin_dir, const std::string& ifname) {
  return pin_dir.empty() ? std::string() : pin_dir + "/tcx_ingress_" + ifname;
}

Result<TcxAttachOutcome> tcx_attach_ingress(int ifindex, const std::string& ifname, int prog_fd,
                                            const std::string& pin_path, int* link_fd) {
  const int held = *link_fd;
  const int existing = held >= 0 || pin_path.empty() ? held : bpf_obj_get(pin_path.c_str());
  if (existing >= 0) {
    // The link of this or a previous xlbd: swap the program in place, no gap. ENOLINK: its
    // interface went away (the link is defunct), so a fresh link replaces it.
    if (bpf_link_update(existing, prog_fd, nullptr) == 0) {
      *link_fd = existing;
      return TcxAttachOutcome::attached;
    }
    const int err = errno;
    if (existing != held) close(existing);
    if (err != ENOLINK) return tcx_error("cannot update xlb's tcx link on", ifname, err);
  }
  std::error_code ec;
  if (!pin_path.empty()) std::filesystem::remove(pin_path, ec);
  int fd = bpf_link_create(prog_fd, ifindex, static_cast<bpf_attach_type>(kBpfTcxIngressAttachType),
                           nullptr);
  if (fd < 0) {
    const int err = -fd;
    if (tcx_refused_by_kernel(err)) return TcxAttachOutcome::unsupported;
    return tcx_error("cannot create a tcx link on", ifname, err);
  }
  if (!pin_path.empty() && bpf_obj_pin(fd, pin_path.c_str()) != 0) {
    const int err = errno;
    close(fd);  // unpinned: closing detaches it again
    return Error{
        ErrorCode::bpffs,
        "cannot pin the tcx link of " + ifname + " at " + pin_path + ": " + std::strerror(err),
        "bpffs"};
  }
  *link_fd = fd;
  return TcxAttachOutcome::attached;
}

Result<void> tcx_detach(int link_fd, const std::string& pin_path, const std::string& ifname) {
  const int fd = link_fd >= 0 || pin_path.empty() ? link_fd : bpf_obj_get(pin_path.c_str());
  if (fd >= 0) {
    // ENOLINK: the interface is gone and the link with it; the pin is all that is left.
    const int rc = bpf_link_detach(fd);
    const int err = errno;
    if (fd != link_fd) close(fd);
    if (rc != 0 && err != ENOLINK)
      return tcx_error("cannot detach xlb's tcx link from", ifname, err);
  }
  std::error_code ec;
  if (!pin_path.empty()) std::filesystem::remove(pin_path, ec);
  return Ok{};
}

}  // namespace xlb
