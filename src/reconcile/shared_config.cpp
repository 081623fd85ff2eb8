#include "reconcile/shared_config.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace xlb {
namespace {

template <class Items>
model::Config config_from_items(const Items& items) {
  model::Config cfg;
  for (const auto& [name, applied] : items) {
    if (const auto* svc = std::get_if<model::Service>(&applied.item)) {
      cfg.services.push_back(*svc);
    } else {
      cfg.endpoint_probes.push_back(std::get<model::EndpointProbe>(applied.item));
    }
  }
  return cfg;
}

}  // namespace

SharedConfig::SharedConfig(Reconciler& reconciler, Store& store, StoreStatus identity,
                           SharedConfigOptions options)
    : reconciler_(reconciler), store_(store), identity_(std::move(identity)), options_(options) {}

SharedConfig::~SharedConfig() { stop(); }

void SharedConfig::set_connected(bool connected, const std::string& error) {
  std::lock_guard lock(mu_);
  if (connected && !connected_) {
    spdlog::info("connected to the shared store ({})", identity_.location);
  } else if (!connected && connected_) {
    spdlog::warn(
        "shared store unreachable: {}; forwarding goes on with the configuration of "
        "revision {}",
        error, applied_revision_);
    disconnected_since_ = std::chrono::steady_clock::now();
  }
  connected_ = connected;
  error_ = error;
  if (connected) local_copy_ = false;
}

void SharedConfig::apply(Revision revision) {
  std::optional<Error> refusal;
  if (!invalid_.empty()) {
    refusal = invalid_.begin()->second;
  } else if (auto done = reconciler_.apply_shared(config_from_items(desired_)); !done) {
    refusal = done.error();
  }
  std::optional<RefusedRevision> publish;
  bool changed = false;
  {
    std::lock_guard lock(mu_);
    seen_ = std::max(seen_, revision);
    if (!refusal) {
      applied_ = desired_;
      applied_revision_ = revision;
      changed = refused_.has_value();
      if (changed)
        spdlog::info("revision {} applied; the refusal of revision {} is over", revision,
                     refused_->revision);
      refused_.reset();
    } else {
      RefusedRevision r{revision,
                        (refusal->field.empty() ? "" : refusal->field + ": ") + refusal->message};
      changed = !refused_ || refused_->reason != r.reason;
      if (changed)
        spdlog::error(
            "revision {} of the shared configuration refused on this node, which keeps "
            "running revision {}: {}",
            revision, applied_revision_, r.reason);
      refused_ = r;
      ++refused_total_;
      publish = r;
    }
  }
  progress_.notify_all();
  if (changed && on_refusal_) {
    on_refusal_(publish ? publish->revision : 0, publish ? publish->reason : std::string());
  }
}

Result<void> SharedConfig::sync() {
  auto snapshot = store_.snapshot();
  if (!snapshot) {
    set_connected(false, snapshot.error().message);
    return snapshot.error();
  }
  set_connected(true, "");
  Items desired;
  for (auto& change : snapshot->items) {
    if (change.item)
      desired.emplace(change.name, Applied{change.revision, std::move(*change.item)});
  }
  std::lock_guard lock(apply_mu_);
  desired_ = std::move(desired);
  invalid_ = std::move(snapshot->invalid);
  apply(snapshot->revision);
  return Ok{};
}

void SharedConfig::on_update(const StoreUpdate& update) {
  std::lock_guard lock(apply_mu_);
  for (const auto& change : update.changes) {
    invalid_.erase(change.name);
    if (change.item) {
      desired_.insert_or_assign(change.name, Applied{change.revision, *change.item});
    } else {
      desired_.erase(change.name);
    }
  }
  for (const auto& [name, error] : update.invalid) {
    desired_.erase(name);
    invalid_.insert_or_assign(name, error);
  }
  apply(update.revision);
}

bool SharedConfig::pause(std::chrono::milliseconds delay) {
  std::unique_lock lock(mu_);
  progress_.wait_for(lock, delay, [this] { return stopping_; });
  return !stopping_;
}

void SharedConfig::run() {
  follow();
  std::lock_guard lock(mu_);
  finished_ = true;
  progress_.notify_all();
}

void SharedConfig::follow() {
  auto delay = options_.retry_min;
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    auto synced = sync();
    if (!synced) {
      if (!pause(delay)) return;
      delay = std::min(delay * 2, options_.retry_max);
      continue;
    }
    delay = options_.retry_min;
    Revision from = 0;
    {
      std::lock_guard lock(mu_);
      from = seen_;
    }
    auto ended = store_.watch(from, [this](const StoreUpdate& u) { on_update(u); });
    spdlog::debug("shared store watch ended ({}); reading everything again",
                  ended ? "stopped" : ended.error().message);
  }
}

void SharedConfig::start() {
  if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
}

void SharedConfig::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  progress_.notify_all();
  if (!thread_.joinable()) return;
  // The watch may be connecting when a stop_watch() comes: repeat until the thread is done.
  std::unique_lock lock(mu_);
  while (!finished_) {
    lock.unlock();
    store_.stop_watch();
    lock.lock();
    progress_.wait_for(lock, std::chrono::milliseconds(50), [this] { return finished_; });
  }
  lock.unlock();
  thread_.join();
}

Result<void> SharedConfig::write(const Build& build) {
  std::vector<ItemWrite> writes;
  {
    std::lock_guard prepare(apply_mu_);
    auto change = build(reconciler_.config());
    if (!change) return change.error();
    if (change->empty()) return Ok{};
    std::lock_guard lock(mu_);
    auto expected = [this](const std::string& name) -> Revision {
      auto it = applied_.find(name);
      return it == applied_.end() ? 0 : it->second.revision;
    };
    for (auto& item : change->put) {
      std::string name = item_name(item);
      const Revision rev = expected(name);
      writes.push_back(ItemWrite{std::move(name), rev, std::move(item)});
    }
    for (auto& name : change->removed)
      writes.push_back(ItemWrite{name, expected(name), std::nullopt});
  }
  auto committed = store_.commit(writes);
  if (!committed) return committed.error();
  const Revision rev = *committed;

  std::unique_lock lock(mu_);
  progress_.wait_for(lock, options_.apply_wait, [this, rev] { return seen_ >= rev || stopping_; });
  if (seen_ < rev) {
    return Error{ErrorCode::unavailable,
                 "written to the shared store (revision " + std::to_string(rev) +
                     ") but not applied on this node within " +
                     std::to_string(options_.apply_wait.count()) + " ms" +
                     (connected_ ? "" : ": " + error_) +
                     "; every node applies it once its watch "
                     "delivers it",
                 ""};
  }
  if (refused_ && refused_->revision >= rev) {
    return Error{ErrorCode::store,
                 "written to the shared store (revision " + std::to_string(rev) +
                     "), but this node refused that revision: " + refused_->reason,
                 ""};
  }
  return Ok{};
}

StoreStatus SharedConfig::store_status(bool with_nodes) const {
  StoreStatus out = identity_;
  {
    std::lock_guard lock(mu_);
    out.connected = connected_;
    out.error = connected_ ? "" : error_;
    out.disconnected_s =
        connected_
            ? 0
            : std::chrono::duration<double>(std::chrono::steady_clock::now() - disconnected_since_)
                  .count();
    out.local_copy = local_copy_;
    if (endpoint_reader_) out.endpoint = endpoint_reader_();
    out.applied_revision = applied_revision_;
    out.seen_revision = seen_;
    if (refused_) {
      out.refused_revision = refused_->revision;
      out.refused_reason = refused_->reason;
    }
    out.refused_total = refused_total_;
  }
  if (with_nodes && nodes_reader_ && out.connected) {
    if (auto nodes = nodes_reader_()) {
      out.nodes = std::move(*nodes);
      out.nodes_known = true;
      for (auto& node : out.nodes) node.self = node.name == out.node_name;
    }
  }
  return out;
}

}  // namespace xlb
