// Conntrack aging: forgets flows idle past their state's timeout (both entries together) and
// rewrites each endpoint's active-flow count from what is really tracked, healing any update
// the datapath lost. Runs in the daemon, off the packet path: forwarding never waits for it.
#pragma once

#include <cstdint>
#include <functional>

#include "common/result.h"
#include "conntrack/summary.h"
#include "conntrack/timeouts.h"
#include "datapath/datapath.h"

namespace xlb {

struct AgingReport {
  uint64_t flows = 0;    // flows (orig entries) seen
  uint64_t expired = 0;  // flows removed
  uint64_t orphans = 0;  // reply entries whose orig entry is gone, removed
  CtSummary summary;     // what the pass leaves in the map (a by-product of its walk)
};

// An established TCP flow (NAT or FullNAT) about to be forgotten, with both its entries, so
// both ends can be told (TCP RST) instead of hanging on a dead connection.
struct ExpiredTcpFlow {
  xlb_ct_key orig_key;
  xlb_ct_entry orig;
  xlb_ct_entry reply;
};

class CtAger {
 public:
  // inactive_timeout(svc_id) → the rule's --inatimeout in seconds, 0 for the default.
  using RuleTimeout = std::function<uint32_t(uint32_t svc_id)>;

  // Called for each established TCP flow the pass expires, before its entries are deleted.
  using OnExpire = std::function<void(const ExpiredTcpFlow&)>;

  CtAger(Datapath& datapath, CtTimeouts timeouts, RuleTimeout rule_timeout,
         OnExpire on_expire = nullptr);

  // One pass at monotonic time now_ns (datapath_clock_ns(), datapath/clock.h). `services` lists
  // the live rule ids whose active-flow counts are rewritten.
  Result<AgingReport> run_once(uint64_t now_ns, const std::vector<uint32_t>& services);

 private:
  Datapath& datapath_;
  CtTimeouts timeouts_;
  RuleTimeout rule_timeout_;
  OnExpire on_expire_;
};

}  // namespace xlb
