// Model -> datapath ABI: rule keys and xlb_svc values with stable endpoint indexes.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <vector>

#include "datapath/datapath.h"
#include "model/service.h"

namespace xlb {

// Every ABI value starts from all-zero bytes: padding reaches the kernel and must be zero.
template <class T>
T zeroed() {
  T v;
  std::memset(&v, 0, sizeof v);
  return v;
}

xlb_svc_key to_abi_key(const model::ServiceKey& key);  // key.vip must be valid
// nullopt for keys the model cannot express (not IPv4, not tcp/udp).
std::optional<model::ServiceKey> from_abi_key(const xlb_svc_key& key);

// Index of `ep` in svc.eps, if present (holes never match).
std::optional<uint8_t> find_endpoint(const xlb_svc& svc, const model::Endpoint& ep);

// eps[] index for each of svc.endpoints: endpoints already in `previous` keep their index,
// new ones take the lowest free index (removed endpoints free theirs).
std::vector<uint8_t> endpoint_indexes(const model::Service& svc, const xlb_svc* previous);

// The datapath value for a validated rule. Unused indexes below nr_endpoints are holes:
// weight 0, state down, never in the slot table. A maglev rule that differs from `previous`
// names the other of its two tables (maglev_gen), which the reconciler fills first.
xlb_svc build_svc(const model::Service& svc, uint32_t id, const xlb_svc* previous);

// maglev: the rule's lookup table over its up endpoints (empty when none is up).
std::vector<uint32_t> build_maglev_table(const xlb_svc& dp);

bool same_bytes(const xlb_svc& a, const xlb_svc& b);

// The datapath entry of a VIP:port served by xlb-proxy (fullproxy rules, one entry per port).
xlb_svc proxy_steering_svc();

// The model's mode of a datapath mode (XLB_MODE_*, e.g. a conntrack entry's); nat when unknown.
model::Mode mode_from_abi(uint8_t mode);

}  // namespace xlb
