// StatusSource: everything the API (and through it diagnose and /metrics) may read of the
// running daemon — rules with counters and health, host probes, datapath verdict counters,
// conntrack and its summary — and nothing it could change the datapath with. The reconciler
// stays the only writer. LiveStatus (live_status.h) is the daemon's; tests use a fake.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "conntrack/summary.h"
#include "datapath/datapath.h"
#include "model/service.h"
#include "status/status.h"

namespace xlb {

// xlbd --attach and its outcome: with auto (or a later change of driver) the hooks differ per
// interface, so both are reported.
struct AttachStatus {
  AttachRequest requested = AttachRequest::tc;
  std::vector<Attachment> interfaces;  // sorted by name
};

class StatusSource {
 public:
  virtual ~StatusSource() = default;

  // Every rule in listing order (numeric VIP, port, protocol); one rule by key.
  virtual std::vector<ServiceStatus> rules() const = 0;
  virtual std::optional<ServiceStatus> rule(const model::ServiceKey& key) const = 0;
  // Hosts' own probes, sorted by ip.
  virtual std::vector<ProbeStatus> probes() const = 0;
  // The display name of the rule with a datapath id: conntrack rows name their rule by it.
  virtual std::optional<std::string> rule_name(uint32_t rule_id) const = 0;

  // Datapath verdict counters, indexed by enum xlb_dp_stat.
  virtual Result<std::vector<uint64_t>> verdicts() const = 0;
  // Conntrack, read-only: walk, lookup, capacities.
  virtual const ConntrackReader& conntrack() const = 0;
  // The latest aging pass's summary; nullopt before the first pass.
  virtual std::optional<CtSummary> latest_ct_summary() const = 0;

  // Interfaces the daemon manages.
  virtual std::vector<std::string> interfaces() const = 0;
  // The hook asked for (xlbd --attach) and the one each managed interface got.
  virtual AttachStatus attach_status() const = 0;
};

// The latest aging pass's summary, or one walk of conntrack when no pass has run yet.
inline Result<CtSummary> current_ct_summary(const StatusSource& status) {
  if (auto latest = status.latest_ct_summary()) return std::move(*latest);
  return summarize_conntrack(status.conntrack());
}

}  // namespace xlb
