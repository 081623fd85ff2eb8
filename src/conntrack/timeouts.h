// Idle timeouts per conntrack state: how long a flow may stay silent before it is forgotten.
#pragma once

#include <array>
#include <cstdint>

extern "C" {
#include "xlb/abi/conntrack.h"
}

namespace xlb {

struct CtTimeouts {
  // Seconds of silence per enum xlb_ct_state. Handshakes and closings are short, an
  // established TCP flow gets an hour (long-idle SSH survives), UDP two minutes once answered.
  std::array<uint32_t, XLB_CT_STATE_MAX> idle_s = {
      30,    // syn-sent
      30,    // syn-recv
      3600,  // est
      60,    // fin-wait
      60,    // close-wait
      30,    // time-wait
      10,    // closed
      30,    // udp-new
      120,   // udp-est
      30,    // icmp
  };

  // A rule's --inatimeout replaces the timeout of its established states.
  uint32_t for_state(uint8_t state, uint32_t rule_inactive_s) const {
    if (state >= XLB_CT_STATE_MAX) return 10;
    bool established = state == XLB_CT_EST || state == XLB_CT_UDP_EST;
    return established && rule_inactive_s ? rule_inactive_s : idle_s[state];
  }
};

}  // namespace xlb
