// Interface facts the datapath needs: ifindex and MAC address.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "common/result.h"

namespace xlb {

struct NetDevice {
  int ifindex = 0;
  std::array<uint8_t, 6> mac{};
};

Result<NetDevice> lookup_netdev(const std::string& ifname);

}  // namespace xlb
