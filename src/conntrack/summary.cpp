#include "conntrack/summary.h"

#include <arpa/inet.h>

#include "common/ip.h"
#include "conntrack/flows.h"
#include "datapath/clock.h"

namespace xlb {

void CtSummaryBuilder::add(const CtFlow& flow) {
  ++(flow.syn_map ? summary_.syn_entries : summary_.entries);
  const xlb_ct_entry& e = flow.entry;
  if (e.dir != XLB_DIR_ORIG) return;
  ++summary_.flows;
  ++summary_.flows_by_state[ct_state_name(e.state)];
  ++summary_.flows_by_proto[ct_proto_name(flow.key.proto)];
  if (e.flags & XLB_CT_F_SNAT) {
    const uint8_t af = flow.key.family;
    const std::string snat = format_ip(e.nat_saddr, af);
    ++summary_.snat_ports[snat];
    ++summary_.snat_ports_by_target[snat + " -> " +
                                    format_ip_port(e.nat_daddr, af, ntohs(e.nat_dport))];
  }
}

CtSummary CtSummaryBuilder::finish(uint64_t computed_at_ns) {
  summary_.computed_at_ns = computed_at_ns;
  CtSummary done = std::move(summary_);
  summary_ = CtSummary{};
  summary_.capacity = done.capacity;
  summary_.syn_capacity = done.syn_capacity;
  return done;
}

Result<CtSummary> summarize_conntrack(const ConntrackReader& conntrack) {
  CtSummaryBuilder builder(conntrack);
  XLB_TRY(conntrack.for_each_flow([&builder](const CtFlow& f) {
    builder.add(f);
    return true;
  }));
  return builder.finish(datapath_clock_ns());
}

nlohmann::json to_json(const CtSummary& s) {
  return nlohmann::json{{"capacity", s.capacity},
                        {"entries", s.entries},
                        {"flows", s.flows},
                        {"fill_percent", s.fill_percent()},
                        {"syn_capacity", s.syn_capacity},
                        {"syn_entries", s.syn_entries},
                        {"syn_fill_percent", s.syn_fill_percent()},
                        {"flows_by_state", s.flows_by_state},
                        {"flows_by_proto", s.flows_by_proto},
                        {"snat_ports", s.snat_ports},
                        {"snat_ports_by_target", s.snat_ports_by_target},
                        {"snat_port_capacity", s.snat_port_capacity}};
}

}  // namespace xlb
