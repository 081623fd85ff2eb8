#include "status/live_status.h"

#include <algorithm>

namespace xlb {

std::vector<ServiceStatus> LiveStatus::rules() const { return reconciler_.status(); }

std::optional<ServiceStatus> LiveStatus::rule(const model::ServiceKey& key) const {
  return reconciler_.status(key);
}

std::vector<ProbeStatus> LiveStatus::probes() const { return reconciler_.probe_status(); }

std::optional<std::string> LiveStatus::rule_name(uint32_t rule_id) const {
  return reconciler_.rule_name(rule_id);
}

Result<std::vector<uint64_t>> LiveStatus::verdicts() const { return datapath_.datapath_counters(); }

std::optional<CtSummary> LiveStatus::latest_ct_summary() const { return summaries_.latest(); }

std::vector<std::string> LiveStatus::interfaces() const {
  return interfaces_ ? interfaces_() : std::vector<std::string>{};
}

AttachStatus LiveStatus::attach_status() const {
  AttachStatus out{.requested = requested_, .interfaces = {}};
  // Without a function (tests, single-threaded): the datapath's own list.
  out.interfaces = attachments_ ? attachments_() : datapath_.attachments();
  std::sort(out.interfaces.begin(), out.interfaces.end(),
            [](const Attachment& a, const Attachment& b) { return a.ifname < b.ifname; });
  return out;
}

}  // namespace xlb
