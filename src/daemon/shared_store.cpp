#include "daemon/shared_store.h"

#include <spdlog/spdlog.h>

#include "common/token_file.h"
#include "daemon/state_dir.h"

namespace xlb::daemon {

Result<std::unique_ptr<SharedStore>> SharedStore::open(const DaemonOptions& o) {
  auto endpoints = parse_etcd_url(o.store);
  if (!endpoints) return endpoints.error();
  EtcdStoreOptions options;
  options.client.endpoints = std::move(*endpoints);
  options.client.ca_file = o.store_cacert;
  options.client.cert_file = o.store_cert;
  options.client.key_file = o.store_key;
  options.client.user = o.store_user;
  if (!o.store_password_file.empty()) {
    auto password =
        read_token_file(o.store_password_file, "store-password-file", /*require_private=*/true);
    if (!password) return password.error();
    options.client.password = std::move(*password);
  }
  options.prefix = o.store_prefix;
  // Beside the file store's config.json, never over it: --store-import reads that one, and a
  // node moved back to the file store finds it as it was.
  options.local_copy_dir = o.state_dir + "/etcd-copy";
  if (auto ok = prepare_state_dir(options.local_copy_dir); !ok) return ok.error();
  return std::unique_ptr<SharedStore>(new SharedStore(o, std::move(options)));
}

SharedStore::SharedStore(const DaemonOptions& o, EtcdStoreOptions options)
    : store_(std::move(options)),
      membership_(store_, o.node_name, std::chrono::seconds(o.store_lease_ttl_s),
                  o.state_dir + "/etcd-copy/lease") {
  identity_.kind = "etcd";
  identity_.location = o.store;
  identity_.prefix = store_.versioned_prefix();
  identity_.node_name = o.node_name;
  identity_.connected = false;
  shared_ = nullptr;
}

SharedStore::~SharedStore() { stop(); }

Result<void> SharedStore::join() {
  auto joined = membership_.join();
  if (joined || joined.error().code == ErrorCode::unavailable) {
    if (!joined) spdlog::warn("cannot join the cluster yet: {}", joined.error().message);
    return Ok{};
  }
  return joined.error();
}

Result<void> SharedStore::import_file_store(const std::string& state_dir) {
  FileStore file(state_dir);
  auto loaded = file.load();
  if (!loaded) return loaded.error();
  if (!*loaded) {
    return Error{ErrorCode::startup,
                 "--store-import: there is no configuration to import in " + file.path() +
                     "; drop --store-import",
                 "store-import"};
  }
  auto written = store_.import(**loaded);
  if (!written) {
    return Error{written.error().code, "--store-import: " + written.error().message,
                 "store-import"};
  }
  spdlog::info("imported {} rules and probes from {} into etcd under {}", *written, file.path(),
               store_.versioned_prefix());
  return Ok{};
}

Result<void> SharedStore::start(Reconciler& reconciler) {
  shared_ = std::make_unique<SharedConfig>(reconciler, store_, identity_);
  shared_->set_on_refusal([this](int64_t revision, const std::string& reason) {
    membership_.set_refused(revision ? std::optional(RefusedRevision{revision, reason})
                                     : std::nullopt);
  });
  shared_->set_nodes_reader([this]() -> Result<std::vector<StoreNodeStatus>> {
    auto nodes = membership_.nodes();
    if (!nodes) return nodes.error();
    std::vector<StoreNodeStatus> out;
    for (const auto& n : *nodes) {
      out.push_back(StoreNodeStatus{n.name, false, n.joined, n.refused ? n.refused->revision : 0,
                                    n.refused ? n.refused->reason : ""});
    }
    return out;
  });
  shared_->set_endpoint_reader([this] { return store_.client().current_endpoint(); });
  if (auto synced = shared_->sync(); !synced) {
    if (synced.error().code == ErrorCode::unavailable) {
      spdlog::warn(
          "etcd unreachable ({}): serving the local copy of the last applied configuration "
          "({} rules, {}); writes fail until etcd answers",
          synced.error().message, reconciler.config().services.size(), store_.local_copy_path());
    }
  }
  reconciler.set_shared_writer(shared_.get());
  shared_->start();
  membership_.start();
  return Ok{};
}

void SharedStore::stop() {
  if (shared_) shared_->stop();
  membership_.stop();
}

}  // namespace xlb::daemon
