#include "cli/commands.h"

#include "cli/files.h"
#include "model/json.h"

namespace xlb::cli {
namespace {

Result<void> print(const Result<nlohmann::json>& answer,
                   std::string (*format)(const nlohmann::json&, Output), Output output,
                   std::ostream& out) {
  if (!answer) return answer.error();
  out << format(*answer, output);
  return Ok{};
}

}  // namespace

Output output_from(const std::string& text) {
  if (text == "wide") return Output::wide;
  if (text == "json") return Output::json;
  return Output::table;
}

Result<void> create_lb(ApiClient& api, const CreateLbArgs& args, std::ostream& out) {
  auto plan = plan_rules(args);
  if (!plan) return plan.error();
  for (const auto& planned : plan->rules) {
    auto rule = rule_model(args, *plan, planned);
    if (!rule) return rule.error();
    auto answer = api.post("/api/v1/loadbalancers", model::to_json(*rule));
    if (!answer) return answer.error();
    out << model::to_string(rule->key) << (api.last_status() == 201 ? " created" : " replaced")
        << "\n";
  }
  return Ok{};
}

Result<void> delete_lb(ApiClient& api, const std::string& vip, const std::vector<std::string>& tcp,
                       const std::vector<std::string>& udp, std::ostream& out,
                       const std::string& host) {
  auto tcp_ports = parse_ports("--tcp", tcp);
  if (!tcp_ports) return tcp_ports.error();
  auto udp_ports = parse_ports("--udp", udp);
  if (!udp_ports) return udp_ports.error();
  if (tcp_ports->empty() && udp_ports->empty()) {
    return invalid("--tcp", "delete lb needs --tcp=<port> or --udp=<port>");
  }
  for (const auto& [protocol, ports] :
       {std::pair{"tcp", *tcp_ports}, std::pair{"udp", *udp_ports}}) {
    for (int64_t port : ports) {
      if (auto done = api.del(rule_path(vip, protocol, port, host)); !done) return done.error();
      out << vip << ":" << port << "/" << protocol << (host.empty() ? "" : "/" + host)
          << " deleted\n";
    }
  }
  return Ok{};
}

Result<void> set_ep(ApiClient& api, const std::string& ip, model::EndpointState state,
                    std::ostream& out) {
  auto answer =
      api.patch("/api/v1/endpoints/" + ip, model::to_json(model::EndpointStateChange{state}));
  if (!answer) return answer.error();
  out << "endpoint " << ip << " " << model::to_string(state) << "\n";
  return Ok{};
}

Result<void> create_endpoint(ApiClient& api, const CreateEndpointArgs& args, std::ostream& out) {
  auto probe = build_endpoint_probe(args);
  if (!probe) return probe.error();
  auto answer = api.post("/api/v1/endpoints", model::to_json(*probe));
  if (!answer) return answer.error();
  out << "endpoint " << args.ip << " probe " << args.probetype
      << (api.last_status() == 201 ? " created" : " replaced") << "\n";
  return Ok{};
}

Result<void> delete_endpoint(ApiClient& api, const std::string& ip, std::ostream& out) {
  if (auto done = api.del("/api/v1/endpoints/" + ip); !done) return done.error();
  out << "endpoint " << ip << " probe deleted\n";
  return Ok{};
}

Result<void> get_lb(ApiClient& api, Output output, std::ostream& out) {
  return print(api.get("/api/v1/loadbalancers"), format_loadbalancers, output, out);
}

Result<void> get_ep(ApiClient& api, Output output, std::ostream& out) {
  return print(api.get("/api/v1/endpoints"), format_endpoints, output, out);
}

Result<void> get_ct(ApiClient& api, const CtFilter& filter, Output output, std::ostream& out) {
  ApiClient::Query query;
  if (!filter.name.empty()) query.emplace("service", filter.name);
  if (!filter.vip.empty()) query.emplace("vip", filter.vip);
  if (!filter.client.empty()) query.emplace("client", filter.client);
  return print(api.get("/api/v1/conntrack", query), format_conntrack, output, out);
}

Result<void> get_stats(ApiClient& api, Output output, std::ostream& out) {
  return print(api.get("/api/v1/stats"), format_stats, output, out);
}

Result<void> get_ha(ApiClient& api, const std::string& instance, Output output, std::ostream& out) {
  if (!instance.empty()) {
    // The API's own 404 names the instances there are.
    if (auto one = api.get("/api/v1/ha/" + instance); !one) return one.error();
  }
  auto answer = api.get("/api/v1/ha");
  if (!answer) return answer.error();
  if (!instance.empty()) {
    nlohmann::json only = nlohmann::json::array();
    for (const auto& i : answer->value("instances", nlohmann::json::array())) {
      if (i.value("instance", "") == instance) only.push_back(i);
    }
    (*answer)["instances"] = std::move(only);
  }
  out << format_ha(*answer, output);
  return Ok{};
}

Result<void> get_ha_ready(ApiClient& api, const std::string& instance, std::ostream& out) {
  auto answer = api.get("/api/v1/ha/" + instance + "/ready");
  if (!answer) return answer.error();
  out << instance << ": ready\n";
  return Ok{};
}

Result<void> set_ha(ApiClient& api, const std::string& instance, const std::string& state,
                    std::ostream& out) {
  auto answer = api.put("/api/v1/ha/" + instance, nlohmann::json{{"state", state}}.dump());
  if (!answer) return answer.error();
  out << "ha " << instance << " " << answer->value("state", state) << "\n";
  return Ok{};
}

Result<void> get_cluster(ApiClient& api, Output output, std::ostream& out) {
  return print(api.get("/api/v1/cluster"), format_cluster, output, out);
}

Result<void> save(ApiClient& api, const std::optional<std::string>& file, std::ostream& out) {
  auto config = api.get("/api/v1/config");
  if (!config) return config.error();
  const std::string text = format_json(*config);
  if (!file) {
    out << text;
    return Ok{};
  }
  if (auto done = write_file_atomically(*file, text); !done) return done.error();
  out << "configuration saved to " << *file << "\n";
  return Ok{};
}

Result<void> apply(ApiClient& api, const std::string& file, std::ostream& out) {
  auto text = read_file(file);
  if (!text) return text.error();
  auto config = api.put("/api/v1/config", *text);
  if (!config) return config.error();
  out << "applied " << file << ": " << config->value("services", nlohmann::json::array()).size()
      << " rules\n";
  return Ok{};
}

}  // namespace xlb::cli
