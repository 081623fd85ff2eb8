#include "datapath/decap_loader.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "datapath/netdev.h"
#include "datapath/tc_attach.h"
#include "xlb_decap.skel.h"

extern "C" {
#include "xlb/abi/common.h"
}

namespace xlb {

Result<std::vector<std::string>> host_ip_addresses() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0)
    return Error{ErrorCode::system,
                 std::string("cannot list this host's addresses: ") + std::strerror(errno), ""};
  std::unique_ptr<ifaddrs, decltype(&freeifaddrs)> owner(list, freeifaddrs);
  std::vector<std::string> out;
  for (const ifaddrs* a = list; a; a = a->ifa_next) {
    if (!a->ifa_addr) continue;
    char text[INET6_ADDRSTRLEN];
    if (a->ifa_addr->sa_family == AF_INET) {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
      inet_ntop(AF_INET, &sin->sin_addr, text, sizeof(text));
    } else if (a->ifa_addr->sa_family == AF_INET6) {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(a->ifa_addr);
      if (IN6_IS_ADDR_LINKLOCAL(&sin6->sin6_addr)) continue;  // no tunnel is routed to one
      inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof(text));
    } else {
      continue;
    }
    if (std::find(out.begin(), out.end(), text) == out.end()) out.emplace_back(text);
  }
  return out;
}

namespace {

Result<void> fill_local_addresses(int map_fd, const std::vector<std::string>& addresses) {
  for (const auto& text : addresses) {
    xlb_ip addr{};  // IPv4 in w[0], as the program reads it
    if (inet_pton(AF_INET, text.c_str(), &addr.w[0]) != 1 &&
        inet_pton(AF_INET6, text.c_str(), addr.w) != 1)
      return invalid("address", "address: '" + text + "' is not an IPv4 (a.b.c.d) or IPv6 address");
    const uint8_t yes = 1;
    if (bpf_map_update_elem(map_fd, &addr, &yes, BPF_ANY) != 0)
      return Error{ErrorCode::datapath,
                   "cannot record local address " + text + ": " + std::strerror(errno), ""};
  }
  return {};
}

}  // namespace

Result<void> attach_decap(const std::string& ifname,
                          const std::vector<std::string>& local_addresses) {
  if (local_addresses.empty())
    return invalid("address", "address: at least one local IPv4 or IPv6 address is needed");
  auto dev = lookup_netdev(ifname);
  if (!dev) return dev.error();
  std::unique_ptr<xlb_decap, decltype(&xlb_decap__destroy)> skel(xlb_decap__open_and_load(),
                                                                 xlb_decap__destroy);
  if (!skel) {
    int err = errno;
    if (err == EPERM || err == EACCES)
      return Error{ErrorCode::permission,
                   "no permission to load BPF programs: run as root or with CAP_BPF and "
                   "CAP_NET_ADMIN",
                   ""};
    return Error{ErrorCode::datapath, std::string("cannot load xlb-decap: ") + std::strerror(err),
                 ""};
  }
  XLB_TRY(fill_local_addresses(bpf_map__fd(skel->maps.xlb_decap_local), local_addresses));
  return tc_attach_ingress(dev->ifindex, ifname, bpf_program__fd(skel->progs.xlb_decap),
                           kTcHandleDecap);
}

Result<void> detach_decap(const std::string& ifname) {
  auto dev = lookup_netdev(ifname);
  if (!dev) return dev.error();
  return tc_detach_ingress(dev->ifindex, ifname, kTcHandleDecap);
}

}  // namespace xlb
