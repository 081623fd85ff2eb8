// The desired-state model: load-balancer rules and their endpoints. Pure data, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "health/probe_spec.h"

namespace xlb::model {

enum class Protocol { tcp, udp };
// "default" on the wire and CLI means nat; fullproxy is the L7 HTTP proxy (xlb-proxy, issue 20).
enum class Mode { nat, fullnat, dsr, fullproxy };
enum class Select { rr, priority, hash, persist, lc, maglev };
enum class EndpointState { up, down, draining };
// What happens to a rule's established flows to an endpoint its health check marks down.
enum class OnDown { keep, reset };
// fullproxy: what the proxy does with the client's X-Forwarded-For (docs/l7.md).
enum class Xff { append, replace, off };
// fullproxy: when an idle backend connection may carry another request (HAProxy's http-reuse).
enum class Reuse { safe, always, never };
// fullproxy: TLS toward the client. https: terminated by the proxy with the rule's certificate
// (chosen by SNI among the rules of its VIP:port), plain HTTP to the endpoints. e2ehttps: the
// same toward the client, and TLS again to the endpoints, whose certificates are verified.
enum class Security { none, https, e2ehttps };

struct Endpoint {
  std::string ip;                           // IPv4 or IPv6 (RFC 5952), validated
  uint16_t port = 0;                        // target port on the endpoint
  uint8_t weight = 1;                       // 1..255
  EndpointState state = EndpointState::up;  // operator/health state

  bool operator==(const Endpoint&) const = default;
};

// An operator's change of one endpoint address in every rule listing it (drain, down, up):
// the body of PATCH /api/v1/endpoints/{ip}, built by xlbctl and read by the API from one schema.
struct EndpointStateChange {
  EndpointState state = EndpointState::up;

  bool operator==(const EndpointStateChange&) const = default;
};

// Identity of a rule: (vip, protocol, port), and for fullproxy rules the Host they serve
// (lower case, no port; empty = the VIP:port's default). L4 rules always have an empty host.
struct ServiceKey {
  std::string vip;
  Protocol protocol = Protocol::tcp;
  uint16_t port = 0;
  std::string host = {};

  auto operator<=>(const ServiceKey&) const = default;
  bool operator==(const ServiceKey&) const = default;
};

struct Service {
  ServiceKey key;
  std::string name;  // optional, defaults to "<vip>:<port>/<proto>"
  Mode mode = Mode::nat;
  Select select = Select::rr;
  bool monitor = false;                  // health-check endpoints (issue 7)
  uint32_t inactive_timeout_s = 0;       // 0 = protocol default
  bool ppv2 = false;                     // Proxy Protocol v2 header to the endpoint (tcp)
  std::vector<std::string> snat;         // fullnat: source addresses; empty = LB address toward ep
  bool dsr_ipip = false;                 // dsr: always tunnel (IPIP), even to a connected endpoint
  uint32_t persist_timeout_s = 0;        // persist: idle affinity lifetime; 0 = default (300 s)
  uint32_t maglev_size = 0;              // maglev: table size, a prime; 0 = default (16381)
  OnDown on_down = OnDown::keep;         // health-down endpoint: keep or reset its flows
  bool fail_open = false;                // every endpoint health-down: select among them anyway
  Xff xff = Xff::append;                 // fullproxy: X-Forwarded-For handling
  std::vector<std::string> xff_trusted;  // fullproxy: CIDRs whose XFF chain and PPv2 are kept
  Reuse reuse = Reuse::safe;             // fullproxy: backend connection reuse
  Security security = Security::none;    // fullproxy: TLS toward the client
  std::string tls_cert;                  // https: PEM certificate (chain) file, absolute path
  std::string tls_key;                   // https: PEM private key file (owner-only), absolute path
  std::string backend_ca;    // e2ehttps: PEM CA file the endpoints' certificates chain to; empty:
                             // the system's trust store
  std::string backend_name;  // e2ehttps: the name endpoints' certificates must carry (and SNI);
                             // empty: each endpoint's IP address (an IP subjectAltName)
  bool insecure_backend = false;  // e2ehttps: endpoints' certificates are not verified (logged)
  std::vector<Endpoint> endpoints;

  bool operator==(const Service&) const = default;
};

// A host's own health check (`xlbctl create endpoint`): it applies to the host in every rule
// that lists it, monitored or not, instead of the rule's default tcp probe.
struct EndpointProbe {
  std::string ip;           // the host; one probe per host
  std::string name;         // optional label, shown by `get ep`
  health::ProbeSpec probe;  // probe.ip unused (it is `ip`); probe.port 0 = each rule's target port

  bool operator==(const EndpointProbe&) const = default;
};

// The whole desired state, as stored and as exported by GET /api/v1/config.
struct Config {
  std::vector<Service> services;
  std::vector<EndpointProbe> endpoint_probes = {};  // sorted by ip, one per ip
  bool operator==(const Config&) const = default;
};

std::string to_string(Protocol p);
std::string to_string(Mode m);  // "default", "fullnat", "dsr"
std::string to_string(Select s);
std::string to_string(EndpointState s);
std::string to_string(OnDown d);
std::string to_string(Xff x);
std::string to_string(Reuse r);
std::string to_string(Security s);
// "10.0.0.100:80/tcp", and "10.0.0.100:80/tcp/www.a.com" for a fullproxy rule with a host.
std::string to_string(const ServiceKey& key);
// The rule's name, or "<vip>:<port>/<proto>" when it has none.
std::string display_name(const Service& svc);

// The selection a rule gets when none is given: hash for DSR (any endpoint may answer, and a
// hash keeps a client's packets together), else rr.
Select default_select(Mode mode);

// Wire/CLI names back to enums; nullopt for unknown text. parse_mode accepts "nat" for "default".
std::optional<Protocol> parse_protocol(std::string_view text);
std::optional<Mode> parse_mode(std::string_view text);
std::optional<Select> parse_select(std::string_view text);
std::optional<EndpointState> parse_endpoint_state(std::string_view text);
std::optional<OnDown> parse_on_down(std::string_view text);

// NAT64: an IPv6 VIP whose endpoints are IPv4 (FullNAT semantics; validation refuses every
// other mixing of families). Decided by the first endpoint: validation holds the rest to it.
bool is_nat64(const Service& svc);
// The family the rule's endpoints and SNAT addresses must have: the VIP's, or IPv4 for NAT64.
uint8_t endpoint_family(const Service& svc);
// The L7 proxy serves the rule (its VIP:port is steered to xlb-proxy, not balanced per packet).
inline bool is_l7(const Service& svc) { return svc.mode == Mode::fullproxy; }
// A Host header or --host value as rules compare it: lower case, without a ":port" suffix or
// a trailing dot ("WWW.A.com:8080" -> "www.a.com").
std::string normalize_host(std::string_view host);

}  // namespace xlb::model
