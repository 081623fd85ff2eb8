#include "datapath/netdev.h"

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace xlb {

Result<NetDevice> lookup_netdev(const std::string& ifname) {
  NetDevice dev;
  dev.ifindex = static_cast<int>(if_nametoindex(ifname.c_str()));
  if (dev.ifindex == 0)
    return Error{ErrorCode::not_found,
                 "interface " + ifname + " does not exist in this network namespace", "interfaces"};
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0)
    return Error{ErrorCode::datapath, std::string("socket: ") + std::strerror(errno), ""};
  ifreq req{};
  std::strncpy(req.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
  int rc = ioctl(sock, SIOCGIFHWADDR, &req);
  int err = errno;
  close(sock);
  if (rc != 0)
    return Error{ErrorCode::datapath,
                 "cannot read the MAC of " + ifname + ": " + std::strerror(err), ""};
  std::memcpy(dev.mac.data(), req.ifr_hwaddr.sa_data, dev.mac.size());
  return dev;
}

}  // namespace xlb
