// The shared configuration store (etcd): a node that cannot reach it serves a configuration
// that may be behind the cluster's; a node that refused a revision runs an older one than the
// other nodes.
#include "diagnose/checks.h"

namespace xlb::diagnose {

void check_store(const Snapshot& s, Report& r) {
  if (!s.store || !s.store->shared()) return;
  const StoreStatus& st = *s.store;
  r.checked.push_back("the shared configuration store (" + st.location + ")");
  if (!st.connected) {
    r.findings.push_back(
        Finding{Severity::warning,
                "store_disconnected",
                "The shared configuration store is unreachable: this node forwards with the "
                "configuration of revision " +
                    std::to_string(st.applied_revision) + ", which may be stale.",
                {st.error, "unreachable for " + seconds(st.disconnected_s)},
                "Bring etcd back (or fix the network or TLS/auth settings toward " + st.location +
                    "); the node re-reads everything and catches up on its own."});
  }
  if (st.refused_revision != 0) {
    r.findings.push_back(
        Finding{Severity::problem,
                "store_revision_refused",
                "This node refused revision " + std::to_string(st.refused_revision) +
                    " of the shared configuration and still runs revision " +
                    std::to_string(st.applied_revision) + ".",
                {st.refused_reason},
                "Fix the rule or probe named in etcd (through any node's API), or raise this "
                "node's limits (--max-services); the next revision is tried whole."});
  }
}

}  // namespace xlb::diagnose
