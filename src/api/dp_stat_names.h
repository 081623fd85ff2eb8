// Names of the datapath verdict counters (enum xlb_dp_stat), as the API and CLI show them.
#pragma once

#include <array>
#include <string_view>

extern "C" {
#include "xlb/abi/stats.h"
}

namespace xlb::api {

// Indexed by enum xlb_dp_stat; the size check below fails the build when the enum grows.
inline constexpr std::array<std::string_view, XLB_STAT_MAX> kDpStatNames = {
    "pass_not_ip",          // XLB_STAT_PASS_NOT_IP
    "pass_not_vip",         // XLB_STAT_PASS_NOT_VIP
    "pass_no_rule",         // XLB_STAT_PASS_NO_RULE
    "pass_fragment",        // XLB_STAT_PASS_FRAGMENT
    "pass_no_route",        // XLB_STAT_PASS_NO_ROUTE
    "pass_ttl",             // XLB_STAT_PASS_TTL
    "drop_malformed",       // XLB_STAT_DROP_MALFORMED
    "drop_no_endpoint",     // XLB_STAT_DROP_NO_ENDPOINT
    "drop_ct_full",         // XLB_STAT_DROP_CT_FULL
    "fwd_new",              // XLB_STAT_FWD_NEW
    "fwd_est",              // XLB_STAT_FWD_EST
    "icmp_echo_reply",      // XLB_STAT_ICMP_ECHO_REPLY
    "arp_reply",            // XLB_STAT_ARP_REPLY
    "pass_malformed",       // XLB_STAT_PASS_MALFORMED
    "drop_rewrite",         // XLB_STAT_DROP_REWRITE
    "drop_snat_exhausted",  // XLB_STAT_DROP_SNAT_EXHAUSTED
    "icmp_frag_needed",     // XLB_STAT_ICMP_FRAG_NEEDED
    "pass_dsr_reply",       // XLB_STAT_PASS_DSR_REPLY
};
static_assert(kDpStatNames.back() == "pass_dsr_reply" &&
                  XLB_STAT_PASS_DSR_REPLY + 1 == XLB_STAT_MAX,
              "a new xlb_dp_stat needs a name here");

}  // namespace xlb::api
