// A StatusSource for API tests: whatever the test puts in it, no reconciler or datapath behind.
// Conntrack comes from a FakeDatapath used only for its flows and capacities.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "datapath/fake/fake_datapath.h"
#include "status/source.h"

namespace xlb {

class FakeStatus final : public StatusSource {
 public:
  std::vector<ServiceStatus> rules() const override { return rule_rows; }
  std::optional<ServiceStatus> rule(const model::ServiceKey& key) const override {
    for (const auto& r : rule_rows) {
      if (r.service.key == key) return r;
    }
    return std::nullopt;
  }
  std::vector<ProbeStatus> probes() const override { return probe_rows; }
  std::optional<std::string> rule_name(uint32_t rule_id) const override {
    auto it = names.find(rule_id);
    return it == names.end() ? std::nullopt : std::optional(it->second);
  }
  Result<std::vector<uint64_t>> verdicts() const override {
    if (verdict_error) return *verdict_error;
    return verdict_values;
  }
  const ConntrackReader& conntrack() const override { return flows; }
  std::optional<CtSummary> latest_ct_summary() const override { return summary; }
  std::vector<std::string> interfaces() const override { return managed; }
  AttachStatus attach_status() const override { return attach; }

  std::vector<ServiceStatus> rule_rows;
  std::vector<ProbeStatus> probe_rows;
  std::map<uint32_t, std::string> names;
  std::vector<uint64_t> verdict_values = std::vector<uint64_t>(XLB_STAT_MAX, 0);
  std::optional<Error> verdict_error;
  FakeDatapath flows;
  std::optional<CtSummary> summary;
  std::vector<std::string> managed;
  AttachStatus attach;
};

}  // namespace xlb
