#include "conntrack/aging.h"

#include <time.h>

#include <algorithm>
#include <map>
#include <vector>

#include "conntrack/tuple.h"

namespace xlb {

CtAger::CtAger(Datapath& datapath, CtTimeouts timeouts, RuleTimeout rule_timeout)
    : datapath_(datapath), timeouts_(timeouts), rule_timeout_(std::move(rule_timeout)) {}

uint64_t CtAger::monotonic_now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + ts.tv_nsec;
}

Result<AgingReport> CtAger::run_once(uint64_t now_ns, const std::vector<uint32_t>& services) {
  AgingReport report;
  std::vector<xlb_ct_key> doomed;
  std::vector<CtFlow> replies;
  std::map<std::pair<uint32_t, uint32_t>, uint32_t> active;

  // Collect first, delete after: deleting while a batched walk is under way skips entries.
  auto walk = datapath_.for_each_flow([&](const CtFlow& f) {
    if (f.entry.dir == XLB_DIR_REPLY) {
      replies.push_back(f);
      return true;
    }
    ++report.flows;
    // A flow is alive while either direction is: the reply entry's clock counts too.
    uint64_t last = f.entry.last_seen_ns;
    xlb_ct_key reply_key = peer_key(f.key, f.entry);
    bool has_reply = f.entry.mode == XLB_MODE_DSR;  // DSR tracks one direction only
    if (!has_reply) {
      auto reply = datapath_.lookup_flow(reply_key);
      if (reply.ok() && reply->has_value()) {
        has_reply = true;
        last = std::max<uint64_t>(last, (*reply)->last_seen_ns);
      }
    }
    uint64_t idle_ns = now_ns > last ? now_ns - last : 0;
    uint64_t limit_ns =
        uint64_t{timeouts_.for_state(f.entry.state, rule_timeout_(f.entry.svc_id))} * 1000000000ull;
    if (idle_ns > limit_ns) {
      doomed.push_back(f.key);
      if (has_reply && f.entry.mode != XLB_MODE_DSR) doomed.push_back(reply_key);
      ++report.expired;
    } else if (f.entry.flags & XLB_CT_F_COUNTED) {
      ++active[{f.entry.svc_id, f.entry.ep_idx}];
    }
    return true;
  });
  if (!walk) return walk.error();

  // Reply entries whose orig entry vanished (LRU eviction) translate nothing useful.
  for (const auto& r : replies) {
    auto orig = datapath_.lookup_flow(peer_key(r.key, r.entry));
    if (orig.ok() && !orig->has_value()) {
      doomed.push_back(r.key);
      ++report.orphans;
    }
  }
  for (const auto& key : doomed) {
    if (auto r = datapath_.delete_flow(key); !r) return r.error();
  }
  for (uint32_t svc : services) {
    for (uint32_t ep = 0; ep < XLB_MAX_ENDPOINTS; ++ep) {
      auto it = active.find({svc, ep});
      uint32_t count = it == active.end() ? 0 : it->second;
      if (auto r = datapath_.set_active_flows(svc, ep, count); !r) return r.error();
    }
  }
  return report;
}

}  // namespace xlb
