// EtcdStore: the shared configuration in etcd, one key per rule and per host probe under a
// versioned prefix ("<prefix>/v1/rules/...", ".../probes/..."), read, written (conditional
// transactions on each key's mod_revision) and watched through EtcdClient. Its load()/save()
// keep this node's copy of the configuration it last applied, so xlbd started while etcd is
// down serves that copy.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "store/etcd_client.h"
#include "store/file_store.h"
#include "store/store.h"

namespace xlb {

// etcd refuses a transaction with more operations than its --max-txn-ops (128 by default).
inline constexpr size_t kEtcdMaxTxnOps = 128;

struct EtcdStoreOptions {
  EtcdClientOptions client;
  std::string prefix = "/xlb";  // keys live under "<prefix>/v1/"
  std::string local_copy_dir;   // this node's copy of what it last applied
};

// "/xlb", "/prod/lb": a key prefix; an error naming --store-prefix otherwise.
Result<void> check_store_prefix(const std::string& prefix);

// The first key after every key under `prefix` (etcd's range_end for a prefix ending in '/').
std::string etcd_prefix_end(const std::string& prefix);

// An int64 of etcd's JSON (the gateway writes them as strings); 0 when absent.
int64_t etcd_int(const nlohmann::json& j, const char* field);

class EtcdStore final : public Store {
 public:
  explicit EtcdStore(EtcdStoreOptions options);

  Result<std::optional<model::Config>> load() override { return local_copy_.load(); }
  Result<void> save(const model::Config& cfg) override { return local_copy_.save(cfg); }

  bool shared() const override { return true; }
  Result<StoreSnapshot> snapshot() override;
  Result<Revision> commit(const std::vector<ItemWrite>& writes) override;
  Result<void> watch(Revision after,
                     const std::function<void(const StoreUpdate&)>& on_update) override;
  void stop_watch() override { client_.stop_stream(); }

  // "<prefix>/v1/" + name.
  std::string key_of(std::string_view name) const { return versioned_prefix_ + std::string(name); }
  const std::string& versioned_prefix() const { return versioned_prefix_; }
  const std::string& local_copy_path() const { return local_copy_.path(); }
  EtcdClient& client() { return client_; }

  // The one-shot import of a file store: every rule and probe of `cfg` created in etcd, which
  // must hold none yet (transactions of at most kEtcdMaxTxnOps). The number of items written.
  Result<size_t> import(const model::Config& cfg);

 private:
  // An item name for a key under the prefix; empty for keys that are not items (nodes/).
  std::string item_name_of(const std::string& key) const;

  EtcdStoreOptions options_;
  std::string versioned_prefix_;
  EtcdClient client_;
  FileStore local_copy_;
};

}  // namespace xlb
