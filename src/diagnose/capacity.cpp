// Capacity and drop checks: conntrack fill, FullNAT source ports, datapath verdict counters.
// The counters are cumulative since the datapath was loaded; findings say so.
#include <cstdio>

#include "diagnose/checks.h"

extern "C" {
#include "xlb/abi/stats.h"
}

namespace xlb::diagnose {
namespace {

constexpr double kCtWarnPercent = 75;
constexpr double kCtProblemPercent = 90;
constexpr double kSnatProblemPercent = 90;

std::string percent(double p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", p);
  return buf;
}

}  // namespace

void check_capacity(const Snapshot& s, Report& r) {
  const uint64_t ct_full = counter(s, XLB_STAT_DROP_CT_FULL);
  if (s.conntrack) {
    const CtSummary& ct = *s.conntrack;
    const double fill = ct.fill_percent();
    if (fill >= kCtWarnPercent || ct_full) {
      Finding f{fill >= kCtProblemPercent || ct_full ? Severity::problem : Severity::warning,
                "ct_near_capacity",
                "Conntrack is " + percent(fill) + " full: new flows are refused once it is full.",
                {std::to_string(ct.entries) + " of " + std::to_string(ct.capacity) +
                 " entries used (" + std::to_string(ct.flows) + " flows, two entries each)."},
                "start xlbd with a larger --ct-size, or shorten idle timeouts (--inatimeout) so "
                "idle flows leave sooner."};
      for (const auto& [state, n] : ct.flows_by_state) {
        f.evidence.push_back(state + ": " + std::to_string(n) + " flows.");
      }
      if (ct_full) {
        f.evidence.push_back("drop_ct_full = " + std::to_string(ct_full) +
                             ": new flows dropped because conntrack could not take them (since "
                             "the datapath was loaded).");
      }
      r.findings.push_back(std::move(f));
    }
    if (ct.syn_fill_percent() >= kCtProblemPercent) {
      // The syn map evicts rather than refuses: half-open flows push out each other only.
      r.findings.push_back(
          {Severity::warning,
           "ct_near_capacity",
           "Conntrack's map of TCP handshakes under way is " + percent(ct.syn_fill_percent()) +
               " full (a SYN flood?): new handshakes push out other half-open ones; established "
               "flows are not affected.",
           {std::to_string(ct.syn_entries) + " of " + std::to_string(ct.syn_capacity) +
            " handshake entries used."},
           "if this is not an attack, start xlbd with a larger --ct-syn-size."});
    }
    for (const auto& [target, used] : ct.snat_ports_by_target) {
      const double p = ct.snat_port_capacity ? 100.0 * used / ct.snat_port_capacity : 0;
      if (p < kSnatProblemPercent) continue;
      r.findings.push_back(
          {Severity::problem,
           "snat_ports_exhausted",
           "FullNAT source ports toward " + target + " are " + percent(p) + " used.",
           {std::to_string(used) + " of " + std::to_string(ct.snat_port_capacity) + " ports (" +
            std::to_string(XLB_SNAT_PORT_MIN) + "-" + std::to_string(XLB_SNAT_PORT_MAX) +
            ") per (SNAT address, endpoint, port)."},
           "add SNAT addresses (--snat=<ip>,<ip>) or endpoints, or shorten idle timeouts."});
    }
  } else if (ct_full) {
    r.findings.push_back({Severity::problem,
                          "ct_near_capacity",
                          "Conntrack has been full: new flows were dropped.",
                          {"drop_ct_full = " + std::to_string(ct_full) + "."},
                          "start xlbd with a larger --ct-size."});
  }
  if (const uint64_t n = counter(s, XLB_STAT_DROP_SNAT_EXHAUSTED)) {
    r.findings.push_back(
        {Severity::problem,
         "snat_ports_exhausted",
         "FullNAT ran out of source ports for some flows, which were dropped.",
         {"drop_snat_exhausted = " + std::to_string(n) + " (since the datapath was loaded)."},
         "add SNAT addresses (--snat=<ip>,<ip>) or endpoints, or shorten idle timeouts."});
  }
}

void check_drops(const Snapshot& s, Report& r) {
  // drop_ct_full, drop_snat_exhausted and drop_no_endpoint have their own findings.
  std::vector<std::string> evidence;
  for (xlb_dp_stat stat :
       {XLB_STAT_DROP_MALFORMED, XLB_STAT_DROP_REWRITE, XLB_STAT_DROP_NO_ROUTE}) {
    if (uint64_t n = counter(s, stat))
      evidence.push_back(std::string(xlb_dp_stat_names[stat]) + " = " + std::to_string(n) + ".");
  }
  if (!evidence.empty()) {
    r.findings.push_back({Severity::warning, "packets_dropped",
                          "The datapath dropped packets (all VIPs, since it was loaded).",
                          std::move(evidence),
                          "drop_malformed: clients send truncated or invalid headers; "
                          "drop_rewrite: report it with xlbd's log."});
  }
  if (uint64_t n = counter(s, XLB_STAT_PASS_NO_ROUTE)) {
    r.findings.push_back({Severity::warning,
                          "pass_no_route",
                          "Some balanced packets found no route or neighbour toward their "
                          "destination and were handed to the kernel untranslated.",
                          {"pass_no_route = " + std::to_string(n) +
                           " (all VIPs, since the "
                           "datapath was loaded)."},
                          "check this host's routes to the endpoints and clients (ip route get "
                          "<address>)."});
  }
}

}  // namespace xlb::diagnose
