// Which way the datapath sends a DSR rule's packets to an endpoint, predicted the way
// bpf_fib_lookup will answer: over L2 (only the MACs change) when the endpoint is its own next
// hop, i.e. its route in the main table is on-link; tunnelled in IPIP when a gateway stands
// between, or when the rule forces IPIP. The one prediction: `xlbctl get lb -o wide` (the
// effective mode) and diagnose both use it; what the datapath actually did is counted per
// endpoint (Datapath::dsr_counter), and diagnose reports when the two disagree.
#pragma once

#include <optional>
#include <string>

#include "diagnose/snapshot.h"
#include "model/service.h"

namespace xlb::diagnose {

enum class DsrPath { l2, ipip };

// nullopt when it cannot be told (the routes could not be read). An endpoint with no route at
// all is not on a link: IPIP (its packets then go to the kernel untouched, pass_no_route).
std::optional<DsrPath> predict_dsr_path(const model::Service& svc, const NetFacts& net,
                                        const std::string& endpoint_ip);

// What the rule's mode does here: "dsr:l2", "dsr:ipip", or "dsr:l2,ipip" when its endpoints
// are of both kinds; "dsr" when the routes could not be read; other modes their own name.
std::string effective_mode(const model::Service& svc, const NetFacts& net);

// The same, reading this host's routes (netlink) when the answer depends on them.
std::string effective_mode_here(const model::Service& svc);

}  // namespace xlb::diagnose
