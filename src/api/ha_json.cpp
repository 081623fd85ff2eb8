#include "api/ha_json.h"

#include "api/status_json.h"

namespace xlb::api {
namespace {

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
          {"last_error", p.last_error}};
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
