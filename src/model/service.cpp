#include "model/service.h"

#include "common/ip.h"
#include "model/enum_names.h"

namespace xlb::model {

std::string to_string(Protocol p) { return enum_name<Protocol>(kProtocolNames, p); }
std::string to_string(Mode m) { return enum_name<Mode>(kModeNames, m); }
std::string to_string(Select s) { return enum_name<Select>(kSelectNames, s); }
std::string to_string(EndpointState s) { return enum_name<EndpointState>(kEndpointStateNames, s); }

std::string to_string(OnDown d) { return enum_name<OnDown>(kOnDownNames, d); }

std::string to_string(Xff x) { return enum_name<Xff>(kXffNames, x); }
std::string to_string(Reuse r) { return enum_name<Reuse>(kReuseNames, r); }
std::string to_string(Security s) { return enum_name<Security>(kSecurityNames, s); }

std::string to_string(const ServiceKey& key) {
  std::string text = ip_with_port(key.vip, key.port) + "/" + to_string(key.protocol);
  return key.host.empty() ? text : text + "/" + key.host;
}

std::string normalize_host(std::string_view host) {
  // "[::1]:80" keeps its brackets; a colon after the last ']' starts the port.
  const size_t bracket = host.rfind(']');
  const size_t colon = host.rfind(':');
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket))
    host = host.substr(0, colon);
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  std::string out(host);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string display_name(const Service& svc) {
  return svc.name.empty() ? to_string(svc.key) : svc.name;
}

bool is_nat64(const Service& svc) {
  if (family_of(svc.key.vip) != XLB_AF_INET6 || svc.endpoints.empty()) return false;
  const auto first = parse_ip(svc.endpoints.front().ip);
  return first && !first->v6();
}

uint8_t endpoint_family(const Service& svc) {
  return is_nat64(svc) ? XLB_AF_INET : family_of(svc.key.vip);
}

Select default_select(Mode mode) { return mode == Mode::dsr ? Select::hash : Select::rr; }

std::optional<Protocol> parse_protocol(std::string_view text) {
  return enum_parse<Protocol>(kProtocolNames, text);
}
std::optional<Mode> parse_mode(std::string_view text) { return enum_parse<Mode>(kModeNames, text); }
std::optional<Select> parse_select(std::string_view text) {
  return enum_parse<Select>(kSelectNames, text);
}
std::optional<EndpointState> parse_endpoint_state(std::string_view text) {
  return enum_parse<EndpointState>(kEndpointStateNames, text);
}
std::optional<OnDown> parse_on_down(std::string_view text) {
  return enum_parse<OnDown>(kOnDownNames, text);
}

}  // namespace xlb::model
