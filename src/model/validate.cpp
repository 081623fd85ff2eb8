#include "model/validate.h"

#include <arpa/inet.h>

#include <cctype>
#include <map>
#include <tuple>
#include <utility>

#include "common/ip.h"
#include "model/field_values.h"
#include "model/limits.h"
#include "select/maglev.h"

extern "C" {
#include "xlb/abi/service.h"
}

namespace xlb::model {
namespace {

Result<void> check_ip(const std::string& field, const std::string& text) {
  auto ip = parse_ip(text);
  if (ip && is_host_address(*ip)) return Ok{};
  return invalid(field, field +
                            " must be a unicast IPv4 or IPv6 address such as 10.0.0.100 or "
                            "2001:db8::100 (not 0.0.0.0/::, multicast, broadcast, link-local or "
                            "IPv4-mapped), got " +
                            shown(text));
}

const char* ip_family_name(uint8_t family) { return family == XLB_AF_INET6 ? "IPv6" : "IPv4"; }

// A rule translates within one family, or from an IPv6 VIP to IPv4 endpoints (NAT64): its
// endpoints share one family, the first endpoint's, and its SNAT addresses (the source toward
// them) are of that family too. IPv4 clients to IPv6 endpoints (NAT46) is not built.
Result<void> check_endpoint_family(const Service& svc, const std::string& field,
                                   const std::string& text) {
  const uint8_t want = endpoint_family(svc), got = family_of(text);
  if (want == got) return Ok{};
  const std::string is = field + " " + text + " is " + ip_family_name(got);
  if (family_of(svc.key.vip) == XLB_AF_INET)
    return invalid(field, is + " but the vip " + svc.key.vip +
                              " is IPv4: an IPv4 vip's endpoints and snat are IPv4 (IPv4 "
                              "clients to IPv6 endpoints, NAT46, is not supported)");
  return invalid(field, is + " but endpoints[0] " + svc.endpoints.front().ip + " is " +
                            ip_family_name(want) +
                            ": a rule's endpoints and snat share one family (an IPv6 vip's are "
                            "all IPv6, or all IPv4 for NAT64)");
}

// NAT64 is FullNAT: the endpoints answer an LB IPv4 address, never the IPv6 client.
Result<void> check_nat64_mode(const Service& svc, const std::string& prefix) {
  if (!is_nat64(svc) || svc.mode == Mode::fullnat) return Ok{};
  return invalid(prefix + "mode", prefix + "mode " + to_string(svc.mode) +
                                      " cannot serve an IPv6 vip from IPv4 endpoints: that is "
                                      "NAT64, which needs --mode=fullnat");
}

Result<void> check_name(const std::string& field, const std::string& name) {
  bool chars_ok = true;
  for (unsigned char c : name) {
    chars_ok = chars_ok && (std::isalnum(c) || c == '.' || c == '_' || c == '-');
  }
  if (chars_ok && name.size() <= kMaxNameLength) return Ok{};
  return invalid(field, field + " must be at most " + std::to_string(kMaxNameLength) +
                            " characters of letters, digits, '.', '_' or '-', got " + shown(name));
}

Result<void> validate_endpoints(const Service& svc, const std::string& prefix) {
  const std::string field = prefix + "endpoints";
  if (svc.endpoints.empty()) {
    return invalid(field, field + " must list at least one endpoint");
  }
  if (svc.endpoints.size() > XLB_MAX_ENDPOINTS) {
    return invalid(field, field + " may list at most " + std::to_string(XLB_MAX_ENDPOINTS) +
                              " endpoints, got " + std::to_string(svc.endpoints.size()));
  }
  std::map<std::pair<std::string, uint16_t>, size_t> seen;
  for (size_t i = 0; i < svc.endpoints.size(); ++i) {
    const Endpoint& ep = svc.endpoints[i];
    const std::string at = field + "[" + std::to_string(i) + "]";
    XLB_TRY(check_ip(at + ".ip", ep.ip));
    XLB_TRY(check_endpoint_family(svc, at + ".ip", ep.ip));
    XLB_TRY(int_field(ep.port, at + ".port", kPortRange));
    XLB_TRY(int_field(ep.weight, at + ".weight", kWeightRange));
    auto [it, fresh] = seen.emplace(std::pair{ep.ip, ep.port}, i);
    if (!fresh) {
      return invalid(at, at + " duplicates " + field + "[" + std::to_string(it->second) + "] (" +
                             ip_with_port(ep.ip, ep.port) + "): list each ip:port once");
    }
    if (svc.mode == Mode::dsr && ep.port != svc.key.port) {
      // DSR rewrites only L2/L3 headers; the endpoint answers the client directly from the VIP
      // port.
      return invalid(at + ".port", "DSR cannot translate ports (" + std::to_string(svc.key.port) +
                                       " -> " + std::to_string(ep.port) +
                                       "): use the same port or --mode=fullnat");
    }
  }
  return Ok{};
}

// Options that belong to one mode or selection are refused elsewhere, not silently ignored.
Result<void> validate_mode_options(const Service& svc, const std::string& prefix) {
  if (!svc.snat.empty() && svc.mode != Mode::fullnat)
    return invalid(prefix + "snat", prefix + "snat applies to --mode=fullnat only");
  if (svc.snat.size() > kMaxSnatAddresses)
    return invalid(prefix + "snat", prefix + "snat may list at most " +
                                        std::to_string(kMaxSnatAddresses) + " addresses");
  for (size_t i = 0; i < svc.snat.size(); ++i) {
    const std::string at = prefix + "snat[" + std::to_string(i) + "]";
    XLB_TRY(check_ip(at, svc.snat[i]));
    XLB_TRY(check_endpoint_family(svc, at, svc.snat[i]));
  }
  if (svc.dsr_ipip && svc.mode != Mode::dsr)
    return invalid(prefix + "dsr_ipip", prefix + "dsr_ipip applies to --mode=dsr only");
  if (svc.ppv2 && svc.mode == Mode::dsr)
    return invalid(prefix + "ppv2",
                   prefix +
                       "ppv2 needs a mode that carries replies back (default or "
                       "fullnat): in dsr the LB never sees the endpoint's replies");
  if (svc.maglev_size != 0 && (!select::is_prime(svc.maglev_size) || svc.maglev_size < 101 ||
                               svc.maglev_size > kMaglevSizeRange.hi))
    return invalid(prefix + "maglev_size", prefix +
                                               "maglev_size must be a prime from 101 to 65537 "
                                               "(e.g. 16381 or 65537), got " +
                                               std::to_string(svc.maglev_size));
  return Ok{};
}

// A host name as rules hold it: normalize_host's form, DNS letters, digits, '-', '_' and dots.
Result<void> check_host(const std::string& field, const std::string& host) {
  bool ok = !host.empty() && host.size() <= kMaxHostLength && normalize_host(host) == host &&
            std::isalnum(static_cast<unsigned char>(host.front())) &&
            std::isalnum(static_cast<unsigned char>(host.back())) &&
            host.find("..") == std::string::npos;
  for (unsigned char c : host) {
    ok = ok && (std::islower(c) || std::isdigit(c) || c == '-' || c == '_' || c == '.');
  }
  if (ok) return Ok{};
  return invalid(field, field +
                            " must be a host name such as www.a.com (letters, digits, '-', "
                            "'.'; at most " +
                            std::to_string(kMaxHostLength) + " characters), got " + shown(host));
}

// An absolute path without NUL, at most kMaxTlsPathLength long.
Result<void> check_tls_path(const std::string& field, const std::string& path) {
  if (path.front() == '/' && path.size() <= kMaxTlsPathLength &&
      path.find('\0') == std::string::npos)
    return Ok{};
  return invalid(field, field + " must be an absolute path of at most " +
                            std::to_string(kMaxTlsPathLength) + " characters, got " + shown(path));
}

// The endpoint side of e2ehttps: a CA file (absolute path) or the system store, a name to verify
// (else the endpoint's IP), or --insecure-backend (which then takes neither).
Result<void> validate_backend_tls(const Service& svc, const std::string& prefix) {
  const bool e2e = svc.security == Security::e2ehttps;
  auto only_e2e = [&prefix](const char* name) {
    return invalid(prefix + name, prefix + name + " applies to --security=e2ehttps only");
  };
  if (!e2e && !svc.backend_ca.empty()) return only_e2e("backend_ca");
  if (!e2e && !svc.backend_name.empty()) return only_e2e("backend_name");
  if (!e2e && svc.insecure_backend) return only_e2e("insecure_backend");
  if (svc.insecure_backend && (!svc.backend_ca.empty() || !svc.backend_name.empty()))
    return invalid(prefix + "insecure_backend",
                   prefix +
                       "insecure_backend skips verification: backend_ca and backend_name "
                       "cannot be given with it");
  if (!svc.backend_ca.empty()) XLB_TRY(check_tls_path(prefix + "backend_ca", svc.backend_ca));
  if (!svc.backend_name.empty()) XLB_TRY(check_host(prefix + "backend_name", svc.backend_name));
  return Ok{};
}

// https needs a certificate and a key, both absolute paths (xlbd reads them, the proxy too:
// a relative path would depend on each one's working directory); without TLS, neither.
Result<void> validate_tls_paths(const Service& svc, const std::string& prefix) {
  for (auto [name, path] :
       {std::pair{"tls_cert", &svc.tls_cert}, std::pair{"tls_key", &svc.tls_key}}) {
    const std::string field = prefix + name;
    if (svc.security == Security::none) {
      if (!path->empty())
        return invalid(field, field + " applies to --security=https or e2ehttps only");
      continue;
    }
    if (path->empty())
      return invalid(field, field + " is required with --security=" + to_string(svc.security) +
                                " (a PEM file's path)");
    XLB_TRY(check_tls_path(field, *path));
  }
  return validate_backend_tls(svc, prefix);
}

// host, xff, xff_trusted, reuse, security and its files belong to fullproxy rules; a fullproxy
// rule is HTTP over TCP.
Result<void> validate_l7_options(const Service& svc, const std::string& prefix) {
  if (!is_l7(svc)) {
    auto only_l7 = [&prefix](const char* name) {
      return invalid(prefix + name, prefix + name + " applies to --mode=fullproxy only");
    };
    if (!svc.key.host.empty()) return only_l7("host");
    if (svc.xff != Xff::append) return only_l7("xff");
    if (!svc.xff_trusted.empty()) return only_l7("xff_trusted");
    if (svc.reuse != Reuse::safe) return only_l7("reuse");
    if (svc.security != Security::none) return only_l7("security");
    if (!svc.tls_cert.empty()) return only_l7("tls_cert");
    if (!svc.tls_key.empty()) return only_l7("tls_key");
    if (!svc.backend_ca.empty()) return only_l7("backend_ca");
    if (!svc.backend_name.empty()) return only_l7("backend_name");
    if (svc.insecure_backend) return only_l7("insecure_backend");
    return Ok{};
  }
  if (svc.key.protocol != Protocol::tcp)
    return invalid(prefix + "protocol", prefix +
                                            "protocol must be tcp for --mode=fullproxy "
                                            "(the proxy speaks HTTP/1.1 over TCP)");
  if (svc.ppv2)
    return invalid(prefix + "ppv2", prefix +
                                        "ppv2 does not apply to --mode=fullproxy: the proxy "
                                        "tells the endpoint the client's address with --xff");
  if (!svc.key.host.empty()) XLB_TRY(check_host(prefix + "host", svc.key.host));
  if (svc.xff_trusted.size() > kMaxXffTrusted)
    return invalid(prefix + "xff_trusted", prefix + "xff_trusted may list at most " +
                                               std::to_string(kMaxXffTrusted) + " networks");
  for (size_t i = 0; i < svc.xff_trusted.size(); ++i) {
    if (parse_ip_cidr(svc.xff_trusted[i])) continue;
    const std::string at = prefix + "xff_trusted[" + std::to_string(i) + "]";
    return invalid(at, at +
                           " must be a network such as 10.0.0.0/8 or 2001:db8::/32, or an "
                           "address, got " +
                           shown(svc.xff_trusted[i]));
  }
  return validate_tls_paths(svc, prefix);
}

// The datapath's VIP table is keyed by the 16 address bytes alone (IPv4 in the first four), so
// an IPv6 VIP whose last 96 bits are zero would share its entry with an IPv4 VIP. Such an
// address is its /32's subnet-router anycast address (RFC 4291 2.6.1), no host's.
Result<void> check_vip_key(const std::string& field, const std::string& vip) {
  auto ip = parse_ip(vip);
  if (!ip || !ip->v6() || ip->addr.w[1] || ip->addr.w[2] || ip->addr.w[3]) return Ok{};
  return invalid(field, field + " " + vip +
                            " is a subnet-router anycast address (its last 96 bits are zero), "
                            "which the datapath cannot tell from an IPv4 VIP: choose another");
}

Result<void> validate_at(const Service& svc, const std::string& prefix) {
  XLB_TRY(check_ip(prefix + "vip", svc.key.vip));
  XLB_TRY(check_vip_key(prefix + "vip", svc.key.vip));
  XLB_TRY(int_field(svc.key.port, prefix + "port", kPortRange));
  XLB_TRY(check_name(prefix + "name", svc.name));
  XLB_TRY(int_field(svc.inactive_timeout_s, prefix + "inactive_timeout", kInactiveTimeoutRange));
  XLB_TRY(int_field(svc.persist_timeout_s, prefix + "persist_timeout", kPersistTimeoutRange));
  XLB_TRY(check_nat64_mode(svc, prefix));
  XLB_TRY(validate_mode_options(svc, prefix));
  XLB_TRY(validate_l7_options(svc, prefix));
  if (svc.ppv2 && svc.key.protocol != Protocol::tcp) {
    return invalid(prefix + "ppv2", prefix +
                                        "ppv2 requires protocol tcp: the Proxy Protocol v2 header "
                                        "is carried in the TCP stream");
  }
  return validate_endpoints(svc, prefix);
}

// health::validate names fields "probe.<field>"; a host probe's JSON fields have the same names
// under `prefix` ("endpoint_probes[0].period", or just "period" in a POST body).
Error renamed(Error e, const std::string& prefix) {
  auto rename = [&prefix](std::string& text) {
    const std::string from = "probe.";
    for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at)) {
      text.replace(at, from.size(), prefix);
      at += prefix.size();
    }
  };
  rename(e.field);
  rename(e.message);
  return e;
}

Result<void> validate_probe_at(const EndpointProbe& p, const std::string& prefix) {
  XLB_TRY(check_ip(prefix + "ip", p.ip));
  XLB_TRY(check_name(prefix + "name", p.name));
  health::ProbeSpec spec = p.probe;
  spec.ip = p.ip;
  if (spec.port == 0) spec.port = 1;  // resolved per rule from the endpoint's target port
  if (auto ok = health::validate(spec); !ok) return renamed(ok.error(), prefix);
  return Ok{};
}

}  // namespace

Result<void> validate(const Service& svc) { return validate_at(svc, ""); }

Result<void> validate(const EndpointProbe& probe) { return validate_probe_at(probe, ""); }

Result<void> check_port_sharing(const Service& rule, const Service& other,
                                const std::string& field) {
  const ServiceKey& a = rule.key;
  const ServiceKey& b = other.key;
  if (a.vip != b.vip || a.protocol != b.protocol || a.port != b.port) return Ok{};
  // One listener serves the port: its hosts are all TLS (https or e2ehttps) or none is.
  if (is_l7(rule) && is_l7(other) &&
      (rule.security == Security::none) != (other.security == Security::none)) {
    return invalid(field, field + " (security " + to_string(rule.security) + ") cannot share " +
                              ip_with_port(a.vip, a.port) + "/" + to_string(a.protocol) +
                              " with a rule of security " + to_string(other.security) +
                              ": every host of a port is https, or none is");
  }
  if (is_l7(rule) == is_l7(other)) return Ok{};
  return invalid(field, field + " (" + to_string(rule.mode) + ") cannot share " +
                            ip_with_port(a.vip, a.port) + "/" + to_string(a.protocol) + " with a " +
                            to_string(other.mode) +
                            " rule: use another port, or delete that rule first");
}

Result<void> validate(const Config& cfg) {
  std::map<ServiceKey, size_t> seen;
  // The first rule on each (vip, protocol, port): L4 and fullproxy rules never share one.
  std::map<std::tuple<std::string, Protocol, uint16_t>, size_t> first_on_port;
  for (size_t i = 0; i < cfg.services.size(); ++i) {
    const std::string at = "services[" + std::to_string(i) + "]";
    const Service& svc = cfg.services[i];
    XLB_TRY(validate_at(svc, at + "."));
    auto [it, fresh] = seen.emplace(svc.key, i);
    if (!fresh) {
      return invalid(at, at + " duplicates services[" + std::to_string(it->second) + "] (" +
                             to_string(svc.key) + "): a rule is identified by vip, protocol and " +
                             (svc.key.host.empty() ? "port" : "port (and host)"));
    }
    auto [first, none_before] =
        first_on_port.emplace(std::tuple{svc.key.vip, svc.key.protocol, svc.key.port}, i);
    if (!none_before) {
      if (auto ok = check_port_sharing(svc, cfg.services[first->second], at); !ok) {
        Error e = ok.error();
        e.message += " (services[" + std::to_string(first->second) + "])";
        return e;
      }
    }
  }
  std::map<std::string, size_t> hosts;
  for (size_t i = 0; i < cfg.endpoint_probes.size(); ++i) {
    const std::string at = "endpoint_probes[" + std::to_string(i) + "]";
    XLB_TRY(validate_probe_at(cfg.endpoint_probes[i], at + "."));
    auto [it, fresh] = hosts.emplace(cfg.endpoint_probes[i].ip, i);
    if (!fresh) {
      return invalid(at, at + " duplicates endpoint_probes[" + std::to_string(it->second) + "] (" +
                             cfg.endpoint_probes[i].ip + "): a host has one probe");
    }
  }
  return Ok{};
}

}  // namespace xlb::model
