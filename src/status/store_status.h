// What readers (the API's `get cluster` and stale marks, /metrics, diagnose) see of the store
// the configuration lives in: the file store, or etcd with its connection, the revision this
// node applied, a revision it refused, and the live nodes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace xlb {

struct StoreNodeStatus {
  std::string name;
  bool self = false;
  int64_t joined_revision = 0;
  int64_t refused_revision = 0;  // 0: applies everything
  std::string refused_reason;
};

struct StoreStatus {
  std::string kind = "file";  // "file" | "etcd"
  std::string location;       // the state directory, or "etcd://host:port,..."
  std::string prefix;         // etcd: "/xlb/v1/"
  std::string node_name;      // etcd: this node's --node-name
  bool connected = true;
  std::string endpoint;       // etcd: the member answering
  std::string error;          // why it is not connected (or the last failure)
  double disconnected_s = 0;  // for how long
  // Serving the local copy of the last applied configuration: etcd not reached since start.
  bool local_copy = false;
  int64_t applied_revision = 0;  // the revision whose configuration runs here
  int64_t seen_revision = 0;     // the latest revision this node has read
  int64_t refused_revision = 0;  // 0 when none is refused now
  std::string refused_reason;
  uint64_t refused_total = 0;  // revisions refused since start
  bool nodes_known = false;    // `nodes` was read from etcd just now
  std::vector<StoreNodeStatus> nodes;

  bool shared() const { return kind != "file"; }
  // Reads answer from the last applied configuration, which may be behind the cluster's.
  bool stale() const { return shared() && !connected; }
};

class StoreStatusSource {
 public:
  virtual ~StoreStatusSource() = default;
  // `with_nodes`: also read the live nodes (a request to etcd).
  virtual StoreStatus store_status(bool with_nodes) const = 0;
};

// A store whose status never changes (the file store).
class FixedStoreStatus final : public StoreStatusSource {
 public:
  explicit FixedStoreStatus(StoreStatus status) : status_(std::move(status)) {}
  StoreStatus store_status(bool) const override { return status_; }

 private:
  StoreStatus status_;
};

}  // namespace xlb
