#include "select/svc_value.h"

#include <algorithm>
#include <cstring>

#include "select/slots.h"

namespace xlb::select {

xlb_svc encode_svc(const SvcValueSpec& spec) {
  xlb_svc out;
  std::memset(&out, 0, sizeof out);  // padding reaches the kernel and must be zero
  out.id = spec.id;
  out.mode = spec.mode;
  out.select = spec.select;
  out.flags = spec.flags;
  out.inactive_timeout_s = spec.inactive_timeout_s;
  out.persist_timeout_s = spec.persist_timeout_s;
  out.maglev_size = spec.maglev_size;
  out.maglev_gen = spec.maglev_gen & 1;
  out.nr_snat = static_cast<uint8_t>(std::min<size_t>(spec.snat.size(), XLB_MAX_SNAT));
  std::copy_n(spec.snat.begin(), out.nr_snat, out.snat);

  const size_t nr = std::min<size_t>(spec.endpoints.size(), XLB_MAX_ENDPOINTS);
  out.nr_endpoints = static_cast<uint8_t>(nr);
  std::vector<Candidate> candidates;
  for (size_t i = 0; i < nr; ++i) {
    const xlb_endpoint& ep = spec.endpoints[i];
    out.eps[i] = ep;
    std::memset(out.eps[i].pad, 0, sizeof out.eps[i].pad);
    candidates.push_back({ep.weight, ep.state == XLB_EP_UP});
  }
  const bool weighted = spec.select != XLB_SEL_RR;
  std::vector<uint8_t> slots = build_slots(candidates, weighted, XLB_SELECT_SLOTS);
  out.nr_slots = static_cast<uint16_t>(slots.size());
  std::copy(slots.begin(), slots.end(), out.slots);
  return out;
}

}  // namespace xlb::select
