#include "cli/lb_args.h"

#include <charconv>

#include "common/quote.h"

namespace xlb::cli {
namespace {

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t end = text.find(sep, start);
    parts.push_back(text.substr(start, end - start));
    if (end == std::string::npos) return parts;
    start = end + 1;
  }
}

// Every comma-separated item of every occurrence of a flag.
std::vector<std::string> items(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const auto& v : values) {
    for (auto& item : split(v, ',')) out.push_back(std::move(item));
  }
  return out;
}

std::optional<int64_t> number(const std::string& text) {
  int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return n;
}

Error bad_flag(const std::string& flag, const std::string& expected, const std::string& got) {
  return invalid(flag, flag + " expects " + expected + ", got " + xlb::quoted(got));
}

}  // namespace

Result<std::vector<PortMapping>> parse_port_mappings(const std::string& flag,
                                                     const std::vector<std::string>& values) {
  std::vector<PortMapping> out;
  for (const auto& item : items(values)) {
    const auto parts = split(item, ':');
    auto port = number(parts[0]);
    auto target = parts.size() == 2 ? number(parts[1]) : port;
    if (parts.size() > 2 || !port || !target) {
      return bad_flag(flag, "<port>:<targetPort> such as 80:8080", item);
    }
    out.push_back({*port, *target});
  }
  return out;
}

Result<std::vector<int64_t>> parse_ports(const std::string& flag,
                                         const std::vector<std::string>& values) {
  std::vector<int64_t> out;
  for (const auto& item : items(values)) {
    auto port = number(item);
    if (!port) return bad_flag(flag, "a port number such as 80", item);
    out.push_back(*port);
  }
  return out;
}

Result<std::vector<EndpointArg>> parse_endpoints(const std::vector<std::string>& values) {
  std::vector<EndpointArg> out;
  for (const auto& item : items(values)) {
    const auto colon = item.rfind(':');
    EndpointArg ep{item.substr(0, colon), 1};
    if (colon != std::string::npos) {
      auto weight = number(item.substr(colon + 1));
      if (!weight) return bad_flag("--endpoints", "<ip>:<weight>[,<ip>:<weight>...]", item);
      ep.weight = *weight;
    }
    if (ep.ip.empty()) return bad_flag("--endpoints", "<ip>:<weight>[,<ip>:<weight>...]", item);
    out.push_back(std::move(ep));
  }
  return out;
}

Result<std::vector<nlohmann::json>> build_rules(const CreateLbArgs& args) {
  auto tcp = parse_port_mappings("--tcp", args.tcp);
  if (!tcp) return tcp.error();
  auto udp = parse_port_mappings("--udp", args.udp);
  if (!udp) return udp.error();
  if (tcp->empty() && udp->empty()) {
    return invalid("--tcp",
                   "create lb needs --tcp=<port>:<targetPort> or --udp=<port>:<targetPort>");
  }
  auto endpoints = parse_endpoints(args.endpoints);
  if (!endpoints) return endpoints.error();
  if (endpoints->empty()) {
    return invalid("--endpoints", "create lb needs --endpoints=<ip>:<weight>[,<ip>:<weight>...]");
  }

  std::vector<std::string> snat;
  for (const auto& value : args.snat) {
    for (auto& ip : split(value, ',')) {
      if (ip.empty())
        return invalid("--snat", "--snat takes <ip>[,<ip>...], got " + xlb::quoted(value));
      snat.push_back(ip);
    }
  }
  if (args.dsr && *args.dsr != "ipip" && *args.dsr != "auto") {
    return invalid("--dsr",
                   "--dsr must be ipip (always tunnel) or auto (L2 when the endpoint is "
                   "directly connected), got " +
                       xlb::quoted(*args.dsr));
  }

  std::vector<nlohmann::json> rules;
  auto add = [&](const char* protocol, const PortMapping& m) {
    nlohmann::json rule = {{"vip", args.vip}, {"protocol", protocol}, {"port", m.port}};
    if (args.name) rule["name"] = *args.name;
    if (args.mode) rule["mode"] = *args.mode;
    if (args.select) rule["select"] = *args.select;
    if (args.monitor) rule["monitor"] = true;
    if (args.inactive_timeout) rule["inactive_timeout"] = *args.inactive_timeout;
    if (args.ppv2) rule["ppv2"] = true;
    if (!snat.empty()) rule["snat"] = snat;
    if (args.dsr) rule["dsr_ipip"] = *args.dsr == "ipip";
    if (args.persist_timeout) rule["persist_timeout"] = *args.persist_timeout;
    if (args.maglev_size) rule["maglev_size"] = *args.maglev_size;
    if (args.on_down) rule["on_down"] = *args.on_down;
    if (args.fail_open) rule["fail_open"] = true;
    nlohmann::json eps = nlohmann::json::array();
    for (const auto& ep : *endpoints) {
      eps.push_back({{"ip", ep.ip}, {"port", m.target}, {"weight", ep.weight}});
    }
    rule["endpoints"] = std::move(eps);
    rules.push_back(std::move(rule));
  };
  for (const auto& m : *tcp) add("tcp", m);
  for (const auto& m : *udp) add("udp", m);
  return rules;
}

std::string rule_path(const std::string& vip, const std::string& protocol, int64_t port) {
  return "/api/v1/loadbalancers/" + vip + "/" + protocol + "/" + std::to_string(port);
}

}  // namespace xlb::cli
