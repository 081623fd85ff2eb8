// Datapath verdict counters (enum xlb_dp_stat) as Prometheus labels: "drop_malformed" becomes
// verdict="drop", reason="malformed"; answers the datapath sends itself ("arp_reply",
// "icmp_echo_reply", "icmp_frag_needed") are verdict="reply" with the full name as reason.
#pragma once

#include <string>
#include <string_view>

namespace xlb::metrics {

struct VerdictLabels {
  std::string verdict;  // "pass" | "drop" | "forward" | "reply"
  std::string reason;
};

VerdictLabels verdict_labels(std::string_view stat_name);

}  // namespace xlb::metrics
