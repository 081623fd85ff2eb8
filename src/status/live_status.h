// The daemon's StatusSource: rules and probes from the Reconciler, counters and conntrack from
// the Datapath (read only), the conntrack summary from the aging pass's cache.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "conntrack/summary.h"
#include "datapath/datapath.h"
#include "reconcile/reconciler.h"
#include "status/source.h"

namespace xlb {

class LiveStatus final : public StatusSource {
 public:
  using Interfaces = std::function<std::vector<std::string>()>;
  using Attachments = std::function<std::vector<Attachment>()>;

  // `attachments`: the hook of each managed interface, from whoever attaches them (the
  // datapath's own list is not safe to read from the API's threads); none: the datapath's.
  LiveStatus(const Reconciler& reconciler, const Datapath& datapath,
             const CtSummaryCache& summaries, Interfaces interfaces,
             AttachRequest requested = AttachRequest::tc, Attachments attachments = {})
      : reconciler_(reconciler),
        datapath_(datapath),
        summaries_(summaries),
        interfaces_(std::move(interfaces)),
        requested_(requested),
        attachments_(std::move(attachments)) {}

  std::vector<ServiceStatus> rules() const override;
  std::optional<ServiceStatus> rule(const model::ServiceKey& key) const override;
  std::vector<ProbeStatus> probes() const override;
  std::optional<std::string> rule_name(uint32_t rule_id) const override;
  Result<std::vector<uint64_t>> verdicts() const override;
  const ConntrackReader& conntrack() const override { return datapath_; }
  std::optional<CtSummary> latest_ct_summary() const override;
  std::vector<std::string> interfaces() const override;
  AttachStatus attach_status() const override;

 private:
  const Reconciler& reconciler_;
  const Datapath& datapath_;
  const CtSummaryCache& summaries_;
  Interfaces interfaces_;
  AttachRequest requested_;
  Attachments attachments_;
};

}  // namespace xlb
