// gobgpd's configuration file (TOML) for a BgpConfig: global AS and router id, no listening
// port (xlb connects to its routers; nothing on the node accepts BGP), an import policy that
// rejects every route a peer sends (xlb only announces), and per neighbour its AS, port,
// TCP-MD5 password and timers.
#pragma once

#include <string>

#include "bgp/bgp_config.h"

namespace xlb::bgp {

std::string gobgpd_config_text(const BgpConfig& cfg);

}  // namespace xlb::bgp
