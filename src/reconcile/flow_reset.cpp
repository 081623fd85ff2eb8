#include "reconcile/flow_reset.h"

#include <algorithm>

#include "conntrack/tuple.h"

namespace xlb {

Result<size_t> reset_endpoint_flows(Datapath& datapath,
                                    const std::vector<std::pair<uint32_t, uint16_t>>& endpoints) {
  std::vector<xlb_ct_key> doomed;
  size_t flows = 0;
  // Collect first, delete after: deleting during a batched walk skips entries.
  auto walk = datapath.for_each_flow([&](const CtFlow& f) {
    if (f.entry.dir != XLB_DIR_ORIG) return true;
    const std::pair<uint32_t, uint16_t> owner{f.entry.svc_id, f.entry.ep_idx};
    if (std::find(endpoints.begin(), endpoints.end(), owner) == endpoints.end()) return true;
    ++flows;
    doomed.push_back(f.key);
    if (f.entry.mode != XLB_MODE_DSR) doomed.push_back(peer_key(f.key, f.entry));  // DSR: one way
    return true;
  });
  if (!walk) return walk.error();
  for (const auto& key : doomed) {
    // A reply entry may already be gone (LRU eviction); the orig entry is what matters.
    if (auto r = datapath.delete_flow(key); !r && r.error().code != ErrorCode::not_found)
      return r.error();
  }
  return flows;
}

}  // namespace xlb
