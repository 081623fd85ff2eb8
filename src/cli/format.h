// Output of `xlbctl get ...`: tables and JSON rendered from the API's JSON answers. Pure
// functions, so golden tests need no server.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace xlb::cli {

enum class Output { table, wide, json };

// Listings of a node whose shared store (etcd) is unreachable end with a "STALE: ..." line.
// GET /api/v1/loadbalancers → VIP, PORT, PROTO, NAME, SEL, MODE, ENDPOINTS; wide lists each
// endpoint on its own row under its rule: ENDPOINT, EPORT, WEIGHT, STATE, COUNTERS. STATE is the
// effective state: draining/down when the operator says so, else the health (ok, down, unknown).
std::string format_loadbalancers(const nlohmann::json& answer, Output output);
// GET /api/v1/endpoints → HOST, NAME (rule), PROBETYPE, PORT, PERIOD, RETRIES, MINDELAY,
// AVGDELAY, MAXDELAY, STATE (as in get lb -o wide); wide adds LASTERROR, SINCE. NAME is the
// host probe's label, else the rule's name; hosts whose own probe no rule uses yet get a row too.
std::string format_endpoints(const nlohmann::json& answer, Output output);
// GET /api/v1/conntrack → SERVICE, DESTIP, SRCIP, DPORT, SPORT, PROTO, STATE, ACT, PACKETS, BYTES,
// FROM ("peer": learned from the HA peer by conntrack sync).
std::string format_conntrack(const nlohmann::json& answer, Output output);
// GET /api/v1/ha → INSTANCE, HASTATE; wide: + SINCE, TRANSITIONS, READY and, per --cluster
// peer (one row each), PEER, PEERSTATE (its state of the instance), CONNECTED ("no (why)"
// while down), RESYNC, and conntrack sync with it: SENT and RECEIVED (flow records), REJECTED
// (records not written), LAG (seconds the oldest record queued for it has waited), LASTRESYNC
// (when its last full dump to this node completed).
std::string format_ha(const nlohmann::json& answer, Output output);
// A field as table text: strings bare, numbers and booleans as JSON, absent as "".
std::string field_text(const nlohmann::json& obj, const char* key);
// GET /api/v1/cluster → the store (file, or etcd: connection, applied and refused revisions),
// then, for etcd, NODE, SELF, JOINED, REFUSED of every live node.
std::string format_cluster(const nlohmann::json& answer, Output output);
// GET /api/v1/stats → COUNTER, VALUE.
std::string format_stats(const nlohmann::json& answer, Output output);

// Indented JSON with a trailing newline (also what `save` writes).
std::string format_json(const nlohmann::json& j);

}  // namespace xlb::cli
