// gobgpd's configuration file (TOML) for a BgpConfig: global AS and router id, BGP's port 179
// (both ends may open the session, so a router that lost it reconnects at once; gobgpd accepts
// only configured neighbours, and a neighbour with a password only with its TCP-MD5 key), an
// import policy that rejects every route a peer sends (xlb only announces), and per neighbour
// its AS, port, TCP-MD5 password and timers.
#pragma once

#include <string>

#include "bgp/bgp_config.h"

namespace xlb::bgp {

std::string gobgpd_config_text(const BgpConfig& cfg);

}  // namespace xlb::bgp
