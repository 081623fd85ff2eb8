// The individual checks behind analyze(); each appends its findings to the report. Internal to
// src/diagnose.
#pragma once

#include <string>
#include <vector>

#include "diagnose/findings.h"

namespace xlb::diagnose {

using Rules = std::vector<const ServiceStatus*>;  // the rules matching the query

// Endpoints: none eligible, failing health checks, refusing connections, no route, no neighbour.
void check_endpoints(const Snapshot& s, const Rules& rules, Report& r);
// Flows: handshakes that never get an answer (NAT replies bypassing the LB, silent endpoints),
// no route back to the clients.
void check_flows(const Snapshot& s, const Rules& rules, Report& r);
// DSR: port translation, L2 endpoints not resolvable, handshakes that never complete, replies
// passing through the LB, endpoints reached another way (L2/IPIP) than the routes predict.
void check_dsr(const Snapshot& s, const Rules& rules, Report& r);
// Conntrack fill and FullNAT source ports.
void check_capacity(const Snapshot& s, Report& r);
// Datapath counters of dropped or diverted packets.
void check_drops(const Snapshot& s, Report& r);
// HA: both nodes MASTER, none, a --cluster node whose state nobody set, a standby (which
// explains why no traffic reaches it).
void check_ha(const Snapshot& s, Report& r);
// Conntrack sync with the --cluster peers: not connected, lagging, records rejected.
void check_ct_sync(const Snapshot& s, Report& r);
// The hook each interface runs the packet path on (with --attach=xdp|auto), and veths on xdp
// whose peer would drop what XDP redirects into them.
void check_attach(const Snapshot& s, Report& r);
// This node does not answer for the VIPs now (BACKUP or FAULT): silence is expected.
bool ha_standby(const Snapshot& s);
// The shared configuration store: unreachable (stale configuration), a revision refused here.
void check_store(const Snapshot& s, Report& r);

std::string join(const std::vector<std::string>& items, const std::string& sep = ", ");
std::string seconds(double s);                                    // "12 s"
std::string endpoint_text(const std::string& ip, uint16_t port);  // "10.0.0.2:8080"
// The folded flows to ip:port, or nullptr.
const EndpointFlows* flows_to(const Snapshot& s, const std::string& ip, uint16_t port);
// The neighbour entry says the address does not answer ARP.
bool neighbour_failed(const NeighbourFact* n);
// A datapath verdict counter.
uint64_t counter(const Snapshot& s, xlb_dp_stat stat);

}  // namespace xlb::diagnose
