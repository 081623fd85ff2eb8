// Store: where the desired configuration lives. Two kinds:
// - local (FileStore, the default): load()/save() hold the whole truth; the reconciler applies
//   a change to the datapath, then saves.
// - shared (EtcdStore): the cluster's truth is a set of items (one per rule, one per host
//   probe), each with the revision of its last change. A write is a conditional commit() on the
//   revisions the writer read; every node, the writer included, applies it when watch()
//   delivers it. load()/save() then hold this node's copy of what it last applied.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "model/service.h"
#include "store/store_items.h"

namespace xlb {

// Items that fail the checks API input gets, by name: while one is stored, a node refuses
// every revision whole (it keeps what it runs) and says why.
using InvalidItems = std::map<std::string, Error>;

// Everything stored, with revisions: what a node applies after (re)connecting.
struct StoreSnapshot {
  Revision revision = 0;          // the store's revision it was read at
  std::vector<ItemChange> items;  // every valid item (none deleted), in key order
  InvalidItems invalid;
};

// One revision of the store as its watch delivers it.
struct StoreUpdate {
  Revision revision = 0;
  std::vector<ItemChange> changes;  // valid items written, and items deleted
  InvalidItems invalid;             // items written with content this node will not apply
};

class Store {
 public:
  virtual ~Store() = default;

  // --- this node's copy, whole ---
  // nullopt when nothing was ever saved.
  virtual Result<std::optional<model::Config>> load() = 0;
  // Atomic: after a crash at any point the store holds the old or the new config, never a mix.
  virtual Result<void> save(const model::Config& cfg) = 0;

  // --- the shared configuration; a local store has none ---
  virtual bool shared() const { return false; }
  // Every item, validated like API input (an invalid one is listed in `invalid`, naming its
  // key); an error only when the store cannot be read.
  virtual Result<StoreSnapshot> snapshot() { return not_shared(); }
  // All or nothing: each write takes effect only if its item is still at `expected` (0: the
  // item must not exist); otherwise an ErrorCode::conflict error naming the item, nothing
  // written. The revision of the change on success; ErrorCode::unavailable naming the
  // endpoints when the store cannot be reached.
  virtual Result<Revision> commit(const std::vector<ItemWrite>& writes) {
    (void)writes;
    return not_shared();
  }
  // Calls on_update for every revision after `after` that touches an item, in order, until the
  // watch ends (store unreachable, revision compacted, stop_watch()); returns why. The caller
  // then re-reads everything with snapshot(): nothing missed stays missed.
  virtual Result<void> watch(Revision after,
                             const std::function<void(const StoreUpdate&)>& on_update) {
    (void)after;
    (void)on_update;
    return not_shared();
  }
  // Ends a watch() under way (thread-safe).
  virtual void stop_watch() {}

 private:
  static Error not_shared() {
    return Error{ErrorCode::not_supported, "this store is not shared: there is nothing to watch",
                 ""};
  }
};

}  // namespace xlb
