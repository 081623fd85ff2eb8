#include "model/json.h"

#include <algorithm>
#include <array>
#include <span>
#include <string_view>

#include "common/ip.h"
#include "common/quote.h"
#include "model/enum_names.h"
#include "model/field_values.h"
#include "model/limits.h"

namespace xlb::model {
namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 26> kServiceFields = {"vip",
                                                             "protocol",
                                                             "port",
                                                             "name",
                                                             "mode",
                                                             "select",
                                                             "monitor",
                                                             "inactive_timeout",
                                                             "ppv2",
                                                             "snat",
                                                             "dsr_ipip",
                                                             "persist_timeout",
                                                             "maglev_size",
                                                             "on_down",
                                                             "fail_open",
                                                             "host",
                                                             "xff",
                                                             "xff_trusted",
                                                             "reuse",
                                                             "security",
                                                             "tls_cert",
                                                             "tls_key",
                                                             "backend_ca",
                                                             "backend_name",
                                                             "insecure_backend",
                                                             "endpoints"};
constexpr std::array<std::string_view, 4> kEndpointFields = {"ip", "port", "weight", "state"};
constexpr std::array<std::string_view, 12> kProbeFields = {
    "ip",     "name",   "type",    "port",    "request", "expect_status",
    "expect", "period", "timeout", "retries", "rise",    "verify"};
constexpr std::array<std::string_view, 2> kConfigFields = {"services", "endpoint_probes"};
constexpr std::array<std::string_view, 1> kEndpointStateChangeFields = {"state"};

std::string join(std::span<const std::string_view> names) {
  std::string out;
  for (auto n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

Result<void> require_object(const json& j, const std::string& field, std::string_view what) {
  if (j.is_object()) return Ok{};
  std::string subject = field.empty() ? "expected" : field + " must be";
  return invalid(field, subject + " a JSON object (" + std::string(what) + "), got " + shown(j));
}

// Unknown fields are refused so a typo ("wieght") never silently falls back to a default.
Result<void> check_fields(const json& obj, const std::string& prefix,
                          std::span<const std::string_view> allowed) {
  for (const auto& [key, value] : obj.items()) {
    bool known = false;
    for (auto a : allowed) known = known || a == key;
    if (!known) {
      return invalid(prefix + key,
                     "unknown field " + xlb::quoted(prefix + key) + "; allowed: " + join(allowed));
    }
  }
  return Ok{};
}

const json* find(const json& obj, std::string_view key) {
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

Error missing(const std::string& field) { return invalid(field, field + " is required"); }

Result<int64_t> read_int(const json& v, const std::string& field, IntRange range) {
  // Unsigned JSON numbers may exceed int64_t; compare them unsigned (all ranges start at >= 0).
  if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    if (u >= static_cast<uint64_t>(range.lo) && u <= static_cast<uint64_t>(range.hi)) {
      return static_cast<int64_t>(u);
    }
  } else if (v.is_number_integer()) {
    return int_field(v.get<int64_t>(), field, range);
  }
  return invalid(field, range_message(field, range, shown(v)));
}

Result<std::string> read_string(const json& v, const std::string& field, std::string_view what) {
  if (v.is_string()) return v.get<std::string>();
  return invalid(field, field + " must be a string (" + std::string(what) + "), got " + shown(v));
}

Result<bool> read_bool(const json& v, const std::string& field) {
  if (v.is_boolean()) return v.get<bool>();
  return invalid(field, field + " must be true or false, got " + shown(v));
}

Result<double> read_seconds(const json& v, const std::string& field) {
  if (v.is_number()) return v.get<double>();
  return invalid(field, field + " must be a number of seconds such as 1 or 0.5, got " + shown(v));
}

// "200", "200-399" or 200.
Result<health::StatusRange> read_status_range(const json& v, const std::string& field) {
  if (v.is_number_integer()) {
    const int code = static_cast<int>(std::clamp<int64_t>(v.get<int64_t>(), 0, 1000));
    return health::StatusRange{code, code};
  }
  if (v.is_string()) return health::parse_status_range(v.get<std::string>(), field);
  return health::parse_status_range(shown(v), field);
}

template <class E>
Result<E> read_enum(const json& v, const std::string& field, std::span<const EnumName<E>> table) {
  if (v.is_string()) return enum_field(table, v.get<std::string>(), field);
  return enum_field_error(table, field, shown(v));
}

// Reads optional `key` of `obj` into `out` when present; `read` returns Result<T>.
template <class T, class Read>
Result<void> read_optional(const json& obj, std::string_view key, const std::string& prefix, T& out,
                           Read read) {
  const json* v = find(obj, key);
  if (!v) return Ok{};
  auto r = read(*v, prefix + std::string(key));
  if (!r) return r.error();
  out = static_cast<T>(*r);
  return Ok{};
}

Result<Endpoint> endpoint_from_json(const json& j, const std::string& prefix, uint16_t rule_port) {
  std::string self = prefix.substr(0, prefix.size() - 1);  // "endpoints[1]" without the dot
  XLB_TRY(require_object(j, self, "an endpoint with ip, port, weight, state"));
  XLB_TRY(check_fields(j, prefix, kEndpointFields));
  Endpoint ep;
  ep.port = rule_port;  // endpoint port defaults to the rule's port (no translation)
  const json* ip = find(j, "ip");
  if (!ip) return missing(prefix + "ip");
  auto ip_text = read_string(*ip, prefix + "ip", "an IPv4 or IPv6 address");
  if (!ip_text) return ip_text.error();
  ep.ip = canonical_ip(*ip_text);
  XLB_TRY(read_optional(j, "port", prefix, ep.port, [](const json& v, const std::string& f) {
    return read_int(v, f, kPortRange);
  }));
  XLB_TRY(read_optional(j, "weight", prefix, ep.weight, [](const json& v, const std::string& f) {
    return read_int(v, f, kWeightRange);
  }));
  XLB_TRY(read_optional(j, "state", prefix, ep.state, [](const json& v, const std::string& f) {
    return read_enum<EndpointState>(v, f, kEndpointStateNames);
  }));
  return ep;
}

// An array of strings (`what` says what each is).
Result<std::vector<std::string>> read_string_list(const json& v, const std::string& field,
                                                  std::string_view what) {
  if (!v.is_array()) {
    return invalid(field,
                   field + " must be an array of " + std::string(what) + ", got " + shown(v));
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < v.size(); ++i) {
    auto text = read_string(v[i], field + "[" + std::to_string(i) + "]", what);
    if (!text) return text.error();
    out.push_back(std::move(*text));
  }
  return out;
}

// The fullproxy fields (host, xff, xff_trusted, reuse, security, tls_cert, tls_key, backend_ca,
// backend_name, insecure_backend); validation refuses them elsewhere.
Result<void> read_l7_fields(const json& j, const std::string& prefix, Service& svc) {
  XLB_TRY(read_optional(j, "host", prefix, svc.key.host, [](const json& v, const std::string& f) {
    return read_string(v, f, "a host name such as www.a.com");
  }));
  svc.key.host = normalize_host(svc.key.host);
  XLB_TRY(read_optional(j, "xff", prefix, svc.xff, [](const json& v, const std::string& f) {
    return read_enum<Xff>(v, f, kXffNames);
  }));
  XLB_TRY(read_optional(j, "reuse", prefix, svc.reuse, [](const json& v, const std::string& f) {
    return read_enum<Reuse>(v, f, kReuseNames);
  }));
  XLB_TRY(
      read_optional(j, "security", prefix, svc.security, [](const json& v, const std::string& f) {
        return read_enum<Security>(v, f, kSecurityNames);
      }));
  for (auto [name, path] :
       {std::pair{"tls_cert", &svc.tls_cert}, std::pair{"tls_key", &svc.tls_key},
        std::pair{"backend_ca", &svc.backend_ca}}) {
    XLB_TRY(read_optional(j, name, prefix, *path, [](const json& v, const std::string& f) {
      return read_string(v, f, "an absolute path of a PEM file");
    }));
  }
  XLB_TRY(read_optional(j, "backend_name", prefix, svc.backend_name,
                        [](const json& v, const std::string& f) {
                          return read_string(v, f, "a host name such as api.internal");
                        }));
  svc.backend_name = normalize_host(svc.backend_name);
  XLB_TRY(read_optional(j, "insecure_backend", prefix, svc.insecure_backend, read_bool));
  return read_optional(j, "xff_trusted", prefix, svc.xff_trusted,
                       [](const json& v, const std::string& f) {
                         return read_string_list(v, f, "CIDRs such as 10.0.0.0/8");
                       });
}

Result<Service> service_from_json_at(const json& j, const std::string& prefix) {
  std::string self = prefix.empty() ? "" : prefix.substr(0, prefix.size() - 1);
  XLB_TRY(require_object(j, self, "a load-balancer rule"));
  XLB_TRY(check_fields(j, prefix, kServiceFields));
  Service svc;

  const json* vip = find(j, "vip");
  if (!vip) return missing(prefix + "vip");
  auto vip_text = read_string(*vip, prefix + "vip", "an IPv4 or IPv6 address");
  if (!vip_text) return vip_text.error();
  svc.key.vip = canonical_ip(*vip_text);

  const json* proto = find(j, "protocol");
  if (!proto) return missing(prefix + "protocol");
  auto p = read_enum<Protocol>(*proto, prefix + "protocol", kProtocolNames);
  if (!p) return p.error();
  svc.key.protocol = *p;

  const json* port = find(j, "port");
  if (!port) return missing(prefix + "port");
  auto port_value = read_int(*port, prefix + "port", kPortRange);
  if (!port_value) return port_value.error();
  svc.key.port = static_cast<uint16_t>(*port_value);

  XLB_TRY(read_optional(j, "name", prefix, svc.name, [](const json& v, const std::string& f) {
    return read_string(v, f, "letters, digits, '.', '_' or '-'");
  }));
  XLB_TRY(read_optional(j, "mode", prefix, svc.mode, [](const json& v, const std::string& f) {
    return read_enum<Mode>(v, f, kModeNames);
  }));
  XLB_TRY(read_optional(j, "select", prefix, svc.select, [](const json& v, const std::string& f) {
    return read_enum<Select>(v, f, kSelectNames);
  }));
  if (!find(j, "select")) svc.select = default_select(svc.mode);
  XLB_TRY(read_optional(j, "monitor", prefix, svc.monitor, read_bool));
  XLB_TRY(read_optional(j, "ppv2", prefix, svc.ppv2, read_bool));
  XLB_TRY(read_optional(
      j, "inactive_timeout", prefix, svc.inactive_timeout_s,
      [](const json& v, const std::string& f) { return read_int(v, f, kInactiveTimeoutRange); }));

  XLB_TRY(read_optional(j, "dsr_ipip", prefix, svc.dsr_ipip, read_bool));
  XLB_TRY(read_optional(
      j, "persist_timeout", prefix, svc.persist_timeout_s,
      [](const json& v, const std::string& f) { return read_int(v, f, kPersistTimeoutRange); }));
  XLB_TRY(read_optional(
      j, "maglev_size", prefix, svc.maglev_size,
      [](const json& v, const std::string& f) { return read_int(v, f, kMaglevSizeRange); }));
  XLB_TRY(read_optional(j, "on_down", prefix, svc.on_down, [](const json& v, const std::string& f) {
    return read_enum<OnDown>(v, f, kOnDownNames);
  }));
  XLB_TRY(read_optional(j, "fail_open", prefix, svc.fail_open, read_bool));
  XLB_TRY(read_l7_fields(j, prefix, svc));
  if (const json* snat = find(j, "snat")) {
    if (!snat->is_array()) {
      return invalid(prefix + "snat",
                     prefix + "snat must be an array of IP addresses, got " + shown(*snat));
    }
    for (size_t i = 0; i < snat->size(); ++i) {
      auto ip = read_string((*snat)[i], prefix + "snat[" + std::to_string(i) + "]",
                            "an IPv4 or IPv6 address");
      if (!ip) return ip.error();
      svc.snat.push_back(canonical_ip(*ip));
    }
  }

  const json* eps = find(j, "endpoints");
  if (!eps) return missing(prefix + "endpoints");
  if (!eps->is_array()) {
    return invalid(prefix + "endpoints",
                   prefix + "endpoints must be an array of endpoints, got " + shown(*eps));
  }
  for (size_t i = 0; i < eps->size(); ++i) {
    auto ep = endpoint_from_json((*eps)[i], prefix + "endpoints[" + std::to_string(i) + "].",
                                 svc.key.port);
    if (!ep) return ep.error();
    svc.endpoints.push_back(std::move(*ep));
  }
  return svc;
}

Result<EndpointProbe> endpoint_probe_from_json_at(const json& j, const std::string& prefix) {
  std::string self = prefix.empty() ? "" : prefix.substr(0, prefix.size() - 1);
  XLB_TRY(require_object(j, self, "an endpoint probe with ip, type, port, period, ..."));
  XLB_TRY(check_fields(j, prefix, kProbeFields));
  EndpointProbe p;
  const json* ip = find(j, "ip");
  if (!ip) return missing(prefix + "ip");
  auto ip_text = read_string(*ip, prefix + "ip", "an IPv4 or IPv6 address");
  if (!ip_text) return ip_text.error();
  p.ip = canonical_ip(*ip_text);
  const json* type = find(j, "type");
  if (!type) return missing(prefix + "type");
  const std::string type_field = prefix + "type";
  if (!type->is_string()) return probe_type_error(type_field, shown(*type));
  auto type_value = probe_type_field(type->get<std::string>(), type_field);
  if (!type_value) return type_value.error();
  health::ProbeSpec& spec = p.probe;
  spec.type = *type_value;
  auto text = [](const json& v, const std::string& f) { return read_string(v, f, "text"); };
  XLB_TRY(read_optional(j, "name", prefix, p.name, [](const json& v, const std::string& f) {
    return read_string(v, f, "letters, digits, '.', '_' or '-'");
  }));
  XLB_TRY(read_optional(j, "port", prefix, spec.port, [](const json& v, const std::string& f) {
    return read_int(v, f, kProbePortRange);
  }));
  XLB_TRY(read_optional(j, "request", prefix, spec.request, text));
  XLB_TRY(read_optional(j, "expect", prefix, spec.expect, text));
  XLB_TRY(read_optional(j, "expect_status", prefix, spec.expect_status, read_status_range));
  XLB_TRY(read_optional(j, "period", prefix, spec.period_s, read_seconds));
  spec.timeout_s = health::default_timeout(spec.period_s);
  XLB_TRY(read_optional(j, "timeout", prefix, spec.timeout_s, read_seconds));
  auto threshold = [](const json& v, const std::string& f) {
    return read_int(v, f, kProbeThresholdRange);
  };
  XLB_TRY(read_optional(j, "retries", prefix, spec.retries, threshold));
  XLB_TRY(read_optional(j, "rise", prefix, spec.rise, threshold));
  XLB_TRY(read_optional(j, "verify", prefix, spec.verify, read_bool));
  return p;
}

Error internal(const std::exception& e) {
  return Error{ErrorCode::invalid_argument, std::string("invalid JSON: ") + e.what(), ""};
}

}  // namespace

json to_json(const Endpoint& ep) {
  return json{
      {"ip", ep.ip}, {"port", ep.port}, {"weight", ep.weight}, {"state", to_string(ep.state)}};
}

json to_json(const Service& svc) {
  json eps = json::array();
  for (const auto& ep : svc.endpoints) eps.push_back(to_json(ep));
  json out{{"vip", svc.key.vip},
           {"protocol", to_string(svc.key.protocol)},
           {"port", svc.key.port},
           {"name", svc.name},
           {"mode", to_string(svc.mode)},
           {"select", to_string(svc.select)},
           {"monitor", svc.monitor},
           {"inactive_timeout", svc.inactive_timeout_s},
           {"ppv2", svc.ppv2},
           {"snat", svc.snat},
           {"dsr_ipip", svc.dsr_ipip},
           {"persist_timeout", svc.persist_timeout_s},
           {"maglev_size", svc.maglev_size},
           {"on_down", to_string(svc.on_down)},
           {"fail_open", svc.fail_open},
           {"endpoints", std::move(eps)}};
  // Only fullproxy rules carry the L7 fields: an L4 rule's JSON is what it was before them.
  if (is_l7(svc)) {
    out["host"] = svc.key.host;
    out["xff"] = to_string(svc.xff);
    out["xff_trusted"] = svc.xff_trusted;
    out["reuse"] = to_string(svc.reuse);
    // Paths only: the key itself never leaves its file (not in answers, the store or save).
    if (svc.security != Security::none) {
      out["security"] = to_string(svc.security);
      out["tls_cert"] = svc.tls_cert;
      out["tls_key"] = svc.tls_key;
    }
    if (svc.security == Security::e2ehttps) {
      out["backend_ca"] = svc.backend_ca;
      out["backend_name"] = svc.backend_name;
      out["insecure_backend"] = svc.insecure_backend;
    }
  }
  return out;
}

json to_json(const EndpointProbe& p) {
  const health::ProbeSpec& s = p.probe;
  return json{{"ip", p.ip},
              {"name", p.name},
              {"type", health::to_string(s.type)},
              {"port", s.port},
              {"request", s.request},
              {"expect_status", health::to_string(s.expect_status)},
              {"expect", s.expect},
              {"period", s.period_s},
              {"timeout", s.timeout_s},
              {"retries", s.retries},
              {"rise", s.rise},
              {"verify", s.verify}};
}

json to_json(const EndpointStateChange& change) { return json{{"state", to_string(change.state)}}; }

json to_json(const Config& cfg) {
  json services = json::array();
  for (const auto& svc : cfg.services) services.push_back(to_json(svc));
  json probes = json::array();
  for (const auto& p : cfg.endpoint_probes) probes.push_back(to_json(p));
  return json{{"services", std::move(services)}, {"endpoint_probes", std::move(probes)}};
}

Result<Service> service_from_json(const json& j) {
  try {
    return service_from_json_at(j, "");
  } catch (const json::exception& e) {  // defensive: nothing above should throw
    return internal(e);
  }
}

Result<EndpointProbe> endpoint_probe_from_json(const json& j) {
  try {
    return endpoint_probe_from_json_at(j, "");
  } catch (const json::exception& e) {
    return internal(e);
  }
}

Result<Config> config_from_json(const json& j) {
  try {
    XLB_TRY(require_object(j, "", "a configuration {\"services\": [...]}"));
    XLB_TRY(check_fields(j, "", kConfigFields));
    const json* services = find(j, "services");
    if (!services) return missing("services");
    if (!services->is_array()) {
      return invalid("services", "services must be an array of rules, got " + shown(*services));
    }
    Config cfg;
    for (size_t i = 0; i < services->size(); ++i) {
      auto svc = service_from_json_at((*services)[i], "services[" + std::to_string(i) + "].");
      if (!svc) return svc.error();
      cfg.services.push_back(std::move(*svc));
    }
    // Optional: configurations saved before per-endpoint probes have none.
    if (const json* probes = find(j, "endpoint_probes")) {
      if (!probes->is_array()) {
        return invalid(
            "endpoint_probes",
            "endpoint_probes must be an array of endpoint probes, got " + shown(*probes));
      }
      for (size_t i = 0; i < probes->size(); ++i) {
        auto p = endpoint_probe_from_json_at((*probes)[i],
                                             "endpoint_probes[" + std::to_string(i) + "].");
        if (!p) return p.error();
        cfg.endpoint_probes.push_back(std::move(*p));
      }
    }
    return cfg;
  } catch (const json::exception& e) {
    return internal(e);
  }
}

Result<EndpointStateChange> endpoint_state_change_from_json(const json& j) {
  XLB_TRY(require_object(j, "", "{\"state\": \"up|down|draining\"}"));
  XLB_TRY(check_fields(j, "", kEndpointStateChangeFields));
  const json* state = find(j, "state");
  if (!state) return missing("state");
  auto parsed = read_enum<EndpointState>(*state, "state", kEndpointStateNames);
  if (!parsed) return parsed.error();
  return EndpointStateChange{*parsed};
}

}  // namespace xlb::model
