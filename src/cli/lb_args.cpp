#include "cli/lb_args.h"

#include <charconv>

#include "common/quote.h"
#include "model/enum_names.h"
#include "model/field_values.h"

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

namespace {

// One --endpoints item: "10.0.0.1:2", "10.0.0.1", "[2001:db8::1]:2", "[2001:db8::1]" or a bare
// "2001:db8::1". A bare item with more than one ':' is an IPv6 address of weight 1, never an
// address plus a weight: "2001:db8:1::10:1" ends in a group of the address.
std::optional<EndpointArg> parse_endpoint_item(const std::string& item) {
  std::string ip = item, weight_text;
  if (!item.empty() && item.front() == '[') {
    const size_t close = item.find(']');
    if (close == std::string::npos) return std::nullopt;
    ip = item.substr(1, close - 1);
    const std::string rest = item.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      weight_text = rest.substr(1);
      if (weight_text.empty()) return std::nullopt;
    }
    if (ip.find(':') == std::string::npos) return std::nullopt;  // brackets hold IPv6 only
  } else if (const size_t colon = item.find(':');
             colon != std::string::npos && item.find(':', colon + 1) == std::string::npos) {
    ip = item.substr(0, colon);
    weight_text = item.substr(colon + 1);
    if (weight_text.empty()) return std::nullopt;
  }
  if (ip.empty()) return std::nullopt;
  EndpointArg ep{ip, 1};
  if (!weight_text.empty()) {
    auto weight = number(weight_text);
    if (!weight) return std::nullopt;
    ep.weight = *weight;
  }
  return ep;
}

}  // namespace

Result<std::vector<EndpointArg>> parse_endpoints(const std::vector<std::string>& values) {
  std::vector<EndpointArg> out;
  for (const auto& item : items(values)) {
    auto ep = parse_endpoint_item(item);
    if (!ep) {
      return bad_flag("--endpoints",
                      "<ip>:<weight>[,<ip>:<weight>...] (IPv6: [<ip>]:<weight>, or a bare <ip> "
                      "for weight 1)",
                      item);
    }
    out.push_back(std::move(*ep));
  }
  return out;
}

Result<LbPlan> plan_rules(const CreateLbArgs& args) {
  auto tcp = parse_port_mappings("--tcp", args.tcp);
  if (!tcp) return tcp.error();
  auto udp = parse_port_mappings("--udp", args.udp);
  if (!udp) return udp.error();
  if (tcp->empty() && udp->empty()) {
    return invalid("--tcp",
                   "create lb needs --tcp=<port>:<targetPort> or --udp=<port>:<targetPort>");
  }
  LbPlan plan;
  auto endpoints = parse_endpoints(args.endpoints);
  if (!endpoints) return endpoints.error();
  if (endpoints->empty()) {
    return invalid("--endpoints", "create lb needs --endpoints=<ip>:<weight>[,<ip>:<weight>...]");
  }
  plan.endpoints = std::move(*endpoints);

  for (const auto& value : args.snat) {
    for (auto& ip : split(value, ',')) {
      if (ip.empty())
        return invalid("--snat", "--snat takes <ip>[,<ip>...], got " + xlb::quoted(value));
      plan.snat.push_back(ip);
    }
  }
  if (args.dsr && *args.dsr != "ipip" && *args.dsr != "auto") {
    return invalid("--dsr",
                   "--dsr must be ipip (always tunnel) or auto (L2 when the endpoint is "
                   "directly connected), got " +
                       xlb::quoted(*args.dsr));
  }
  for (const auto& m : *tcp) plan.rules.push_back({model::Protocol::tcp, m});
  for (const auto& m : *udp) plan.rules.push_back({model::Protocol::udp, m});
  return plan;
}

// The fullproxy flags, in the decoder's order (host, xff, reuse, security, tls_cert, tls_key,
// backend_ca, backend_name, insecure_backend, xff_trusted).
Result<void> l7_flags_into(model::Service& svc, const CreateLbArgs& args) {
  using namespace model;
  svc.key.host = normalize_host(args.host.value_or(""));
  if (args.xff) XLB_TRY(store_enum_field<Xff>(svc.xff, kXffNames, *args.xff, "xff"));
  if (args.reuse) XLB_TRY(store_enum_field<Reuse>(svc.reuse, kReuseNames, *args.reuse, "reuse"));
  if (args.security) {
    XLB_TRY(store_enum_field<Security>(svc.security, kSecurityNames, *args.security, "security"));
  }
  svc.tls_cert = args.tls_cert.value_or("");
  svc.tls_key = args.tls_key.value_or("");
  svc.backend_ca = args.backend_ca.value_or("");
  svc.backend_name = normalize_host(args.backend_name.value_or(""));
  svc.insecure_backend = args.insecure_backend;
  for (const auto& value : args.xff_trusted) {
    for (auto& cidr : split(value, ',')) {
      if (cidr.empty()) {
        return invalid("--xff-trusted",
                       "--xff-trusted takes <cidr>[,<cidr>...], got " + xlb::quoted(value));
      }
      svc.xff_trusted.push_back(cidr);
    }
  }
  return Ok{};
}

// Fields are converted in the order the API's decoder reads them, so the first refusal is the
// one the API would have sent.
Result<model::Service> rule_model(const CreateLbArgs& args, const LbPlan& plan,
                                  const LbPlan::Rule& rule) {
  using namespace model;
  Service svc;
  svc.key.vip = args.vip;
  svc.key.protocol = rule.protocol;
  XLB_TRY(store_int_field(svc.key.port, rule.ports.port, "port", kPortRange));
  svc.name = args.name.value_or("");
  if (args.mode) XLB_TRY(store_enum_field<Mode>(svc.mode, kModeNames, *args.mode, "mode"));
  svc.select = default_select(svc.mode);
  if (args.select) {
    XLB_TRY(store_enum_field<Select>(svc.select, kSelectNames, *args.select, "select"));
  }
  svc.monitor = args.monitor;
  svc.ppv2 = args.ppv2;
  if (args.inactive_timeout) {
    XLB_TRY(store_int_field(svc.inactive_timeout_s, *args.inactive_timeout, "inactive_timeout",
                            kInactiveTimeoutRange));
  }
  svc.dsr_ipip = args.dsr == "ipip";
  if (args.persist_timeout) {
    XLB_TRY(store_int_field(svc.persist_timeout_s, *args.persist_timeout, "persist_timeout",
                            kPersistTimeoutRange));
  }
  if (args.maglev_size) {
    XLB_TRY(store_int_field(svc.maglev_size, *args.maglev_size, "maglev_size", kMaglevSizeRange));
  }
  if (args.on_down) {
    XLB_TRY(store_enum_field<OnDown>(svc.on_down, kOnDownNames, *args.on_down, "on_down"));
  }
  svc.fail_open = args.fail_open;
  XLB_TRY(l7_flags_into(svc, args));
  svc.snat = plan.snat;
  for (size_t i = 0; i < plan.endpoints.size(); ++i) {
    const std::string at = "endpoints[" + std::to_string(i) + "].";
    Endpoint& ep = svc.endpoints.emplace_back();
    ep.ip = plan.endpoints[i].ip;
    XLB_TRY(store_int_field(ep.port, rule.ports.target, at + "port", kPortRange));
    XLB_TRY(store_int_field(ep.weight, plan.endpoints[i].weight, at + "weight", kWeightRange));
  }
  return svc;
}

std::string rule_path(const std::string& vip, const std::string& protocol, int64_t port,
                      const std::string& host) {
  std::string path = "/api/v1/loadbalancers/" + vip + "/" + protocol + "/" + std::to_string(port);
  return host.empty() ? path : path + "/" + model::normalize_host(host);
}

}  // namespace xlb::cli
