#include "status/live_status.h"

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

}  // namespace xlb
