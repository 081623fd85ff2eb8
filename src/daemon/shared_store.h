// What --store=etcd://... brings to xlbd: the etcd store, this node's membership, and the
// SharedConfig that keeps the node applying what etcd holds. Start-up in order: open() (options,
// password file), join() (a live node with the same name refuses the start), the optional
// import, then, after the reconciler restored this node's copy, start().
#pragma once

#include <memory>
#include <optional>

#include "daemon/options.h"
#include "reconcile/reconciler.h"
#include "reconcile/shared_config.h"
#include "status/store_status.h"
#include "store/etcd_membership.h"
#include "store/etcd_store.h"

namespace xlb::daemon {

class SharedStore {
 public:
  static Result<std::unique_ptr<SharedStore>> open(const DaemonOptions& o);
  ~SharedStore();

  Store& store() { return store_; }
  // Registers the node; a live node holding the name is an error (etcd unreachable is not:
  // the node serves its local copy and joins once etcd answers).
  Result<void> join();
  // --store-import: the file store of --state-dir into an empty prefix.
  Result<void> import_file_store(const std::string& state_dir);
  // Reads etcd (or says the node serves its local copy), then follows the watch; API writes
  // go to etcd from now on.
  Result<void> start(Reconciler& reconciler);
  // Before the reconciler goes: the watch, the lease (revoked: the name is free at once).
  void stop();
  const StoreStatusSource& status() const { return *shared_; }

 private:
  SharedStore(const DaemonOptions& o, EtcdStoreOptions options);

  StoreStatus identity_;
  EtcdStore store_;
  EtcdMembership membership_;
  std::unique_ptr<SharedConfig> shared_;
};

}  // namespace xlb::daemon
