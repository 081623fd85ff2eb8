#include "api/ha_json.h"

#include "api/status_json.h"

namespace xlb::api {
namespace {

nlohmann::json sync_json(const cluster::PeerSyncStatus& s) {
  const auto& r = s.rejects;
  return {{"enabled", s.enabled},
          {"flows_sent", s.flows_sent},
          {"closed_sent", s.closed_sent},
          {"flows_received", s.flows_received},
          {"closed_received", s.closed_received},
          {"stale_skipped", s.stale_skipped},
          {"queue_dropped", s.queue_dropped},
          {"dumps_sent", s.dumps_sent},
          {"lag_seconds", s.lag_seconds},
          {"peer_lag_seconds", s.peer_lag_seconds},
          {"last_full_resync", s.last_full_resync ? nlohmann::json(rfc3339(*s.last_full_resync))
                                                  : nlohmann::json(nullptr)},
          {"rejected",
           {{"unknown_rule", r.unknown_rule},
            {"rule_differs", r.rule_differs},
            {"unknown_endpoint", r.unknown_endpoint},
            {"conflict", r.conflict},
            {"datapath", r.datapath}}}};
}

nlohmann::json peer_json(const cluster::PeerStatus& p) {
  nlohmann::json states = nlohmann::json::object();
  for (const auto& [name, state] : p.states) states[name] = cluster::ha_state_name(state);
  return {{"address", p.address},
          {"connected", p.connected},
          {"reporting", p.reporting},
          {"connected_since", p.connected ? rfc3339(p.connected_since) : nullptr},
          {"self", p.self ? nlohmann::json(*p.self) : nlohmann::json(nullptr)},
          {"states", std::move(states)},
          {"resync", cluster::resync_name(p.resync)},
          {"last_error", p.last_error},
          {"sync", sync_json(p.sync)}};
}

}  // namespace

nlohmann::json ha_instance_json(const cluster::HaInstanceStatus& st) {
  return {{"instance", st.name},
          {"state", cluster::ha_state_name(st.state)},
          {"since", rfc3339(st.since)},
          {"transitions", st.transitions},
          {"decided", st.decided},
          {"ready", st.ready},
          {"not_ready_reason", st.not_ready_reason}};
}

nlohmann::json ha_status_json(const cluster::HaStatus& st) {
  nlohmann::json instances = nlohmann::json::array();
  for (const auto& i : st.instances) instances.push_back(ha_instance_json(i));
  nlohmann::json peers = nlohmann::json::array();
  for (const auto& p : st.peers) peers.push_back(peer_json(p));
  return {{"cluster", st.cluster},
          {"self", st.self},
          {"instances", std::move(instances)},
          {"peers", std::move(peers)},
          {"rejected",
           {{"address", st.rejects.address},
            {"handshake", st.rejects.handshake},
            {"malformed", st.rejects.malformed},
            {"version", st.rejects.version}}}};
}

}  // namespace xlb::api
