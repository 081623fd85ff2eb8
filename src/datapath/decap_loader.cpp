#include "datapath/decap_loader.h"

#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "datapath/netdev.h"
#include "datapath/tc_attach.h"
#include "xlb_decap.skel.h"

namespace xlb {

Result<void> attach_decap(const std::string& ifname) {
  auto dev = lookup_netdev(ifname);
  if (!dev) return dev.error();
  std::unique_ptr<xlb_decap, decltype(&xlb_decap__destroy)> skel(xlb_decap__open_and_load(),
                                                                 xlb_decap__destroy);
  if (!skel) {
    int err = errno;
    if (err == EPERM || err == EACCES)
      return Error{"permission",
                   "no permission to load BPF programs: run as root or with CAP_BPF and "
                   "CAP_NET_ADMIN",
                   ""};
    return Error{"datapath", std::string("cannot load xlb-decap: ") + std::strerror(err), ""};
  }
  return tc_attach_ingress(dev->ifindex, ifname, bpf_program__fd(skel->progs.xlb_decap),
                           kTcHandleDecap);
}

Result<void> detach_decap(const std::string& ifname) {
  auto dev = lookup_netdev(ifname);
  if (!dev) return dev.error();
  return tc_detach_ingress(dev->ifindex, ifname, kTcHandleDecap);
}

}  // namespace xlb
