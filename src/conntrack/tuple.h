// The conntrack tuple arithmetic of include/xlb/abi/conntrack.h (the datapath's own), by value:
// a packet matching an entry's key leaves with the entry's translation; the opposite
// direction's entry is keyed by the reverse of that translated tuple.
#pragma once

extern "C" {
#include "xlb/abi/conntrack.h"
}

namespace xlb {

inline xlb_ct_key translated_key(const xlb_ct_key& key, const xlb_ct_entry& e) {
  xlb_ct_key t;
  xlb_ct_translated(&key, &e, &t);
  return t;
}

inline xlb_ct_key peer_key(const xlb_ct_key& key, const xlb_ct_entry& e) {
  xlb_ct_key peer;
  xlb_ct_peer_key(&key, &e, &peer);
  return peer;
}

}  // namespace xlb
