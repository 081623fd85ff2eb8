// EtcdMembership: this node's key "<prefix>/v1/nodes/<name>" under a lease of a few seconds,
// kept alive by a thread, so the live nodes are the keys present. A name a live node holds is
// refused. The key's value also says which revision, if any, this node refused to apply, so
// `xlbctl get cluster` on any node shows it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "store/etcd_store.h"

namespace xlb {

struct NodeRecord {
  std::string name;
  Revision joined = 0;  // the revision its key was created at
  std::optional<RefusedRevision> refused;
};

class EtcdMembership {
 public:
  // `lease_file` (may be empty): where this node keeps the id of its lease, so a restarted
  // xlbd revokes the lease it held before (a crash, or a stop while etcd was unreachable)
  // and takes its name back at once instead of waiting for that lease to expire.
  EtcdMembership(EtcdStore& store, std::string node_name, std::chrono::seconds ttl,
                 std::string lease_file = {});
  ~EtcdMembership();

  // Registers the name under a new lease. ErrorCode::conflict (one sentence naming the key and
  // the fix) when a live node holds it; ErrorCode::unavailable when etcd cannot be reached.
  Result<void> join();
  // Keeps the lease alive every ttl/3, joining (again) whenever this node is not registered:
  // after etcd was unreachable longer than the lease, or when join() failed at start.
  void start();
  // Stops the thread and revokes the lease, so the name is free at once.
  void stop();

  // Publishes (or clears) the revision this node refused.
  void set_refused(std::optional<RefusedRevision> refused);
  // Every live node, by name.
  Result<std::vector<NodeRecord>> nodes();

  const std::string& name() const { return name_; }
  std::string key() const { return store_.key_of("nodes/" + name_); }
  bool joined() const { return lease_ != 0; }

 private:
  std::string value_text() const;
  Result<void> publish();  // rewrites the key under the current lease
  void revoke_previous_lease();
  void remember_lease(int64_t lease);
  void keep_alive();
  void run();

  EtcdStore& store_;
  std::string name_;
  std::chrono::seconds ttl_;
  std::string lease_file_;
  std::atomic<int64_t> lease_{0};
  mutable std::mutex mu_;
  std::optional<RefusedRevision> refused_;  // guarded by mu_
  bool stopping_ = false;                   // guarded by mu_
  bool republish_ = false;                  // guarded by mu_
  std::condition_variable wake_;
  std::thread thread_;
};

}  // namespace xlb
