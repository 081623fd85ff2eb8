// IPv4 text <-> ABI address conversion (the ABI is IPv6-sized; only IPv4 is wired up).
#pragma once

#include <optional>
#include <string>

extern "C" {
#include "xlb/abi/common.h"
}

namespace xlb {

// Strict dotted-quad parse ("10.0.0.1"); nullopt for anything else.
std::optional<xlb_ip> parse_ipv4(const std::string& text);
std::string format_ip(const xlb_ip& ip);

inline bool operator==(const xlb_ip& a, const xlb_ip& b) {
  return a.w[0] == b.w[0] && a.w[1] == b.w[1] && a.w[2] == b.w[2] && a.w[3] == b.w[3];
}

}  // namespace xlb
