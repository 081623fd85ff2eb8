// `xlbctl create lb` / `delete lb` arguments → API requests. The flags' syntax is checked here
// (one line naming the flag); their values become the model, whose to_json is the request body.
// A value the model cannot hold (port 0, weight 300, mode "x") is refused in the API decoder's
// own words; the rest (addresses, option combinations) is left to the API's validation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "model/service.h"

namespace xlb::cli {

struct PortMapping {
  int64_t port = 0;
  int64_t target = 0;  // same as port when not given
};

// "--tcp=80:8080", "--tcp=80" or a comma-separated list of those.
Result<std::vector<PortMapping>> parse_port_mappings(const std::string& flag,
                                                     const std::vector<std::string>& values);
// "--tcp=80" for delete: ports only.
Result<std::vector<int64_t>> parse_ports(const std::string& flag,
                                         const std::vector<std::string>& values);

struct EndpointArg {
  std::string ip;
  int64_t weight = 1;
};
// "--endpoints=10.0.0.2:1,10.0.0.3:2"; a missing ":<weight>" means weight 1.
Result<std::vector<EndpointArg>> parse_endpoints(const std::vector<std::string>& values);

struct CreateLbArgs {
  std::string vip;
  std::vector<std::string> tcp, udp, endpoints;
  std::optional<std::string> mode, select, name;
  bool monitor = false;
  std::optional<int64_t> inactive_timeout;
  bool ppv2 = false;
  std::vector<std::string> snat;           // --snat=ip[,ip]: fullnat source addresses
  std::optional<std::string> dsr;          // --dsr=ipip forces the tunnel
  std::optional<int64_t> persist_timeout;  // --persist-timeout=<s>
  std::optional<int64_t> maglev_size;      // --maglev-size=<prime>
  std::optional<std::string> on_down;      // --ondown=keep|reset: flows of a health-down endpoint
  bool fail_open = false;                  // --failopen: all endpoints down → select them anyway
  // fullproxy (docs/l7.md): --host, --xff=append|replace|off, --xff-trusted=<cidr>[,...],
  // --reuse=safe|always|never, --security=none|https with --tls-cert/--tls-key (paths).
  std::optional<std::string> host, xff, reuse, security, tls_cert, tls_key;
  // e2ehttps: --backend-ca (a PEM file), --backend-name, --insecure-backend.
  std::optional<std::string> backend_ca, backend_name;
  bool insecure_backend = false;
  std::vector<std::string> xff_trusted;
};

// create lb's flags after the syntax check, which covers every flag before any request is sent.
struct LbPlan {
  struct Rule {
    model::Protocol protocol;
    PortMapping ports;
  };
  std::vector<Rule> rules;  // one per --tcp mapping, then one per --udp mapping
  std::vector<EndpointArg> endpoints;
  std::vector<std::string> snat;
};
Result<LbPlan> plan_rules(const CreateLbArgs& args);

// Rule `rule` of the plan as the model (POST /api/v1/loadbalancers sends its to_json). Built one
// at a time: a port the model refuses in the second rule is reported after the first was sent,
// as when the API refused it.
Result<model::Service> rule_model(const CreateLbArgs& args, const LbPlan& plan,
                                  const LbPlan::Rule& rule);

// "/api/v1/loadbalancers/<vip>/<proto>/<port>", then "/<host>" for a fullproxy rule's host.
std::string rule_path(const std::string& vip, const std::string& protocol, int64_t port,
                      const std::string& host = "");

}  // namespace xlb::cli
