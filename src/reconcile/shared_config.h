// SharedConfig: a node of a cluster whose configuration lives in a shared store (etcd). It
// keeps the node applying what the store holds: reads everything, applies it, then follows the
// store's watch revision by revision; after the watch breaks (reconnect, compacted revision)
// it reads everything again, so a missed event never leaves the node stale. A revision the
// node cannot apply (over --max-services, an option it does not support, an invalid item) is
// refused whole: the node keeps running what it had, and says so (store_status(), the hook
// publishing it in the node's membership key). It is also the reconciler's SharedWriter: API
// writes become conditional commits on the revisions this node applied, answered once the
// watch has brought them back and this node applied them.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "reconcile/reconciler.h"
#include "status/store_status.h"
#include "store/store.h"

namespace xlb {

struct SharedConfigOptions {
  // How long a write waits for this node to apply it from the watch.
  std::chrono::milliseconds apply_wait{std::chrono::seconds(3)};
  // Pause between attempts to reach the store, doubling up to the maximum.
  std::chrono::milliseconds retry_min{100};
  std::chrono::milliseconds retry_max{std::chrono::seconds(1)};
};

class SharedConfig final : public Reconciler::SharedWriter, public StoreStatusSource {
 public:
  // `identity`: kind, location, prefix and node name for store_status().
  SharedConfig(Reconciler& reconciler, Store& store, StoreStatus identity,
               SharedConfigOptions options = {});
  ~SharedConfig() override;

  // Optional hooks, set before start(): the live nodes (for store_status(true)), and where a
  // refused revision (or its end: nullopt) is published.
  using RefusalHook = std::function<void(int64_t revision, const std::string& reason)>;
  void set_nodes_reader(std::function<Result<std::vector<StoreNodeStatus>>()> reader) {
    nodes_reader_ = std::move(reader);
  }
  void set_on_refusal(RefusalHook hook) { on_refusal_ = std::move(hook); }
  // The store member answering now, for store_status().
  void set_endpoint_reader(std::function<std::string()> reader) {
    endpoint_reader_ = std::move(reader);
  }

  // One read and apply of the whole store, as the watch thread does after (re)connecting; an
  // error when the store cannot be read. Start-up uses it to say whether etcd was reached.
  Result<void> sync();
  // The watch thread: sync, follow the watch, sync again when it ends; until stop().
  void start();
  void stop();

  Result<void> write(const Build& build) override;
  StoreStatus store_status(bool with_nodes) const override;

 private:
  struct Applied {
    Revision revision = 0;
    StoreItem item;
  };
  using Items = std::map<std::string, Applied>;

  void run();
  void follow();  // run()'s loop
  // Applies desired_ whole as revision `revision`, unless an item of the store is invalid;
  // records a refusal when the node cannot (apply_mu_ held).
  void apply(Revision revision);
  void on_update(const StoreUpdate& update);
  void set_connected(bool connected, const std::string& error);
  // Waits between attempts to reach the store; false when stopping.
  bool pause(std::chrono::milliseconds delay);

  Reconciler& reconciler_;
  Store& store_;
  StoreStatus identity_;
  SharedConfigOptions options_;
  std::function<Result<std::vector<StoreNodeStatus>>()> nodes_reader_;
  RefusalHook on_refusal_;
  std::function<std::string()> endpoint_reader_;

  std::mutex apply_mu_;  // one apply, or one write being prepared, at a time
  mutable std::mutex mu_;
  std::condition_variable progress_;  // seen_ moved, or stopping
  Items desired_;                     // the store at seen_ (apply_mu_)
  InvalidItems invalid_;              // items of the store at seen_ this node refuses (apply_mu_)
  Items applied_;                     // what runs here, with each item's revision (mu_)
  Revision seen_ = 0, applied_revision_ = 0;
  std::optional<RefusedRevision> refused_;
  uint64_t refused_total_ = 0;
  bool connected_ = false;
  bool local_copy_ = true;  // nothing read from the store since start
  std::string error_ = "not connected yet";
  std::chrono::steady_clock::time_point disconnected_since_ = std::chrono::steady_clock::now();
  bool stopping_ = false;
  bool finished_ = false;  // run() returned
  std::thread thread_;
};

}  // namespace xlb
