#include "datapath/proxy_steering.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "datapath/bpf_datapath.h"
#include "xlb_steer.skel.h"

namespace xlb {
namespace {

Error steering_error(const std::string& what, int err) {
  return Error{ErrorCode::datapath,
               "cannot " + what + " the fullproxy steering program (xlb_steer, BPF sk_lookup): " +
                   std::strerror(err) + "; it needs Linux >= 5.9 and CAP_BPF + CAP_NET_ADMIN",
               ""};
}

}  // namespace

Result<std::unique_ptr<ProxySteering>> ProxySteering::attach(const BpfDatapath& datapath) {
  std::unique_ptr<ProxySteering> steering(new ProxySteering());
  steering->skel_ = xlb_steer__open();
  if (!steering->skel_) return steering_error("open", errno);
  // The TC program's rule map, not a second one (and no pin of its own).
  bpf_map* rules = steering->skel_->maps.XLB_MAP_SVC_ID;
  bpf_map__set_pin_path(rules, nullptr);
  if (int rc = bpf_map__reuse_fd(rules, datapath.rule_map_fd()); rc != 0)
    return steering_error("share the rule map with", -rc);
  if (int rc = xlb_steer__load(steering->skel_); rc != 0) return steering_error("load", -rc);
  const int netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (netns < 0) return steering_error("attach", errno);
  steering->link_ = bpf_program__attach_netns(steering->skel_->progs.xlb_steer, netns);
  const int attach_err = errno;
  close(netns);
  if (!steering->link_) return steering_error("attach", attach_err);
  return steering;
}

ProxySteering::~ProxySteering() {
  if (link_) bpf_link__destroy(link_);
  if (skel_) xlb_steer__destroy(skel_);
}

Result<void> ProxySteering::set_listener(int listen_fd) {
  const uint32_t slot = 0;
  const uint64_t fd = static_cast<uint64_t>(listen_fd);
  if (bpf_map_update_elem(bpf_map__fd(skel_->maps.xlb_proxy_sock), &slot, &fd, BPF_ANY) != 0)
    return steering_error("give the proxy's listener to", errno);
  return Ok{};
}

}  // namespace xlb
