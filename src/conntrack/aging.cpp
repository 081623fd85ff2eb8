#include "conntrack/aging.h"

#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "conntrack/tuple.h"

namespace xlb {

namespace {

struct KeyLess {
  bool operator()(const xlb_ct_key& a, const xlb_ct_key& b) const {
    return std::memcmp(&a, &b, sizeof a) < 0;
  }
};

// An entry the pass decided to delete, with the creation time it was judged by.
struct DoomedEntry {
  xlb_ct_key key;
  uint64_t created_ns;
};

// Only a flow both ends believe established can be reset usefully: each side's next sequence
// number must be known (RFC 5961 accepts an RST only at exactly that number).
bool resettable(const xlb_ct_key& key, const xlb_ct_entry& orig, const xlb_ct_entry& reply) {
  return key.proto == IPPROTO_TCP && orig.state == XLB_CT_EST && orig.mode != XLB_MODE_DSR &&
         (orig.seen & XLB_CT_SEEN_SEQ) && (reply.seen & XLB_CT_SEEN_SEQ);
}

}  // namespace

CtAger::CtAger(Datapath& datapath, CtTimeouts timeouts, RuleTimeout rule_timeout,
               OnExpire on_expire)
    : datapath_(datapath),
      timeouts_(timeouts),
      rule_timeout_(std::move(rule_timeout)),
      on_expire_(std::move(on_expire)) {}

Result<AgingReport> CtAger::run_once(uint64_t now_ns, const std::vector<uint32_t>& services) {
  AgingReport report;
  std::vector<DoomedEntry> doomed;
  std::vector<CtFlow> replies;
  std::map<std::pair<uint32_t, uint32_t>, uint32_t> active;
  std::set<xlb_ct_key, KeyLess> expired_origs;
  std::vector<ExpiredTcpFlow> to_reset;
  CtSummaryBuilder summary(datapath_);

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
    std::optional<xlb_ct_entry> reply_entry;
    if (!has_reply) {
      auto reply = datapath_.lookup_flow(reply_key);
      if (reply.ok() && reply->has_value()) {
        has_reply = true;
        reply_entry = **reply;
        last = std::max<uint64_t>(last, reply_entry->last_seen_ns);
      }
    }
    uint64_t idle_ns = now_ns > last ? now_ns - last : 0;
    uint64_t limit_ns =
        uint64_t{timeouts_.for_state(f.entry.state, rule_timeout_(f.entry.svc_id))} * 1000000000ull;
    if (idle_ns > limit_ns) {
      doomed.push_back({f.key, f.entry.created_ns});
      if (reply_entry) doomed.push_back({reply_key, reply_entry->created_ns});
      expired_origs.insert(f.key);
      if (on_expire_ && reply_entry && resettable(f.key, f.entry, *reply_entry)) {
        to_reset.push_back({f.key, f.entry, *reply_entry});
      }
      ++report.expired;
      return true;
    }
    summary.add(f);
    if (f.entry.flags & XLB_CT_F_COUNTED) ++active[{f.entry.svc_id, f.entry.ep_idx}];
    return true;
  });
  if (!walk) return walk.error();

  // Reply entries whose orig entry vanished (LRU eviction) translate nothing useful.
  for (const auto& r : replies) {
    const xlb_ct_key orig_key = peer_key(r.key, r.entry);
    if (expired_origs.count(orig_key)) continue;  // already doomed with its flow
    auto orig = datapath_.lookup_flow(orig_key);
    if (orig.ok() && !orig->has_value()) {
      doomed.push_back({r.key, r.entry.created_ns});
      ++report.orphans;
      continue;
    }
    summary.add(r);
  }
  // Reset before deleting: a packet racing in meanwhile still finds its translation.
  for (const auto& flow : to_reset) on_expire_(flow);
  // The walk took a while: a key may since have been taken by a new flow (a client reusing the
  // port of a flow that had just expired starts over under the same key). That one stays;
  // deleting it would make its next packet a mid-stream pickup of a flow the client never opened.
  for (const auto& [key, created_ns] : doomed) {
    auto now = datapath_.lookup_flow(key);
    if (now.ok() && now->has_value() && (*now)->created_ns != created_ns) continue;
    if (auto r = datapath_.delete_flow(key); !r) return r.error();
  }
  for (uint32_t svc : services) {
    for (uint32_t ep = 0; ep < XLB_MAX_ENDPOINTS; ++ep) {
      auto it = active.find({svc, ep});
      uint32_t count = it == active.end() ? 0 : it->second;
      if (auto r = datapath_.set_active_flows(svc, ep, count); !r) return r.error();
    }
  }
  report.summary = summary.finish(now_ns);
  return report;
}

}  // namespace xlb
