#include "store/etcd_membership.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <fstream>

#include "common/file_io.h"
#include "common/quote.h"
#include "model/strict_json.h"

namespace xlb {
namespace {

using nlohmann::json;

constexpr size_t kMaxNodeNameBytes = 64;
constexpr size_t kMaxRefusalReasonBytes = 1000;

// A node's key as another node wrote it: checked, never trusted.
std::optional<NodeRecord> node_record(const std::string& name, const std::string& text,
                                      Revision joined) {
  auto j = model::parse_strict_json_object(text, "etcd node key " + name);
  if (!j || name.empty() || name.size() > kMaxNodeNameBytes) return std::nullopt;
  NodeRecord node{name, joined, std::nullopt};
  if (j->contains("refused") && (*j)["refused"].is_object()) {
    const json& r = (*j)["refused"];
    const std::string reason = r.value("reason", std::string());
    node.refused =
        RefusedRevision{etcd_int(r, "revision"), reason.substr(0, kMaxRefusalReasonBytes)};
  }
  return node;
}

}  // namespace

EtcdMembership::EtcdMembership(EtcdStore& store, std::string node_name, std::chrono::seconds ttl,
                               std::string lease_file)
    : store_(store), name_(std::move(node_name)), ttl_(ttl), lease_file_(std::move(lease_file)) {}

void EtcdMembership::revoke_previous_lease() {
  if (lease_file_.empty()) return;
  std::ifstream in(lease_file_);
  int64_t previous = 0;
  if (!(in >> previous) || previous == 0) return;
  // Our own lease from before: its key (this name) goes with it. Unknown to etcd (expired) is
  // fine; unreachable is too (join() then fails the same way).
  if (store_.client().call("lease/revoke", {{"ID", std::to_string(previous)}})) {
    spdlog::info("revoked this node's previous lease {:x} in etcd", previous);
  }
}

void EtcdMembership::remember_lease(int64_t lease) {
  if (lease_file_.empty()) return;
  // Atomically (a temp file renamed over it): a torn id could name another node's lease.
  const std::string temp = lease_file_ + ".tmp";
  auto ok = write_synced(temp, std::to_string(lease) + "\n", 0600);
  if (ok && std::rename(temp.c_str(), lease_file_.c_str()) != 0)
    ok = Error{ErrorCode::io, "cannot rename " + temp + " to " + lease_file_, ""};
  if (!ok) spdlog::warn("cannot remember this node's etcd lease: {}", ok.error().message);
}

EtcdMembership::~EtcdMembership() { stop(); }

std::string EtcdMembership::value_text() const {
  std::lock_guard lock(mu_);
  json j = {{"name", name_}};
  if (refused_) {
    j["refused"] = {{"revision", std::to_string(refused_->revision)},
                    {"reason", refused_->reason.substr(0, kMaxRefusalReasonBytes)}};
  }
  return j.dump();
}

Result<void> EtcdMembership::join() {
  EtcdClient& etcd = store_.client();
  revoke_previous_lease();
  auto grant = etcd.call("lease/grant", {{"TTL", std::to_string(ttl_.count())}});
  if (!grant) return grant.error();
  const int64_t lease = etcd_int(*grant, "ID");
  if (lease == 0) return Error{ErrorCode::store, "etcd granted no lease", "node-name"};
  const std::string key = base64_encode_text(this->key());
  const json txn = {
      {"compare",
       {{{"key", key}, {"target", "CREATE"}, {"result", "EQUAL"}, {"create_revision", "0"}}}},
      {"success",
       {{{"request_put",
          {{"key", key},
           {"value", base64_encode_text(value_text())},
           {"lease", std::to_string(lease)}}}}}}};
  auto answer = etcd.call("kv/txn", txn);
  if (!answer || !answer->value("succeeded", false)) {
    (void)etcd.call("lease/revoke", {{"ID", std::to_string(lease)}});
    if (!answer) return answer.error();
    return Error{ErrorCode::conflict,
                 "node name " + xlb::quoted(name_) +
                     " is already registered in etcd by a live "
                     "node (key " +
                     this->key() +
                     "): give this node another --node-name, or stop "
                     "the other xlbd (a stopped node's name is free within " +
                     std::to_string(ttl_.count()) + " s)",
                 "node-name"};
  }
  lease_ = lease;
  remember_lease(lease);
  spdlog::info("joined the cluster as {} (etcd key {}, lease {:x}, {} s)", name_, this->key(),
               lease, ttl_.count());
  return Ok{};
}

Result<void> EtcdMembership::publish() {
  const int64_t lease = lease_;
  if (lease == 0) return Ok{};
  const std::string key = base64_encode_text(this->key());
  auto answer = store_.client().call("kv/put", {{"key", key},
                                                {"value", base64_encode_text(value_text())},
                                                {"lease", std::to_string(lease)}});
  if (!answer) return answer.error();
  return Ok{};
}

void EtcdMembership::keep_alive() {
  const int64_t lease = lease_;
  if (lease == 0) {
    if (auto joined = join(); !joined) {
      spdlog::warn("cannot join the cluster yet: {}", joined.error().message);
    }
    return;
  }
  auto answer = store_.client().call("lease/keepalive", {{"ID", std::to_string(lease)}});
  if (!answer) {
    spdlog::debug("lease keep-alive failed: {}", answer.error().message);
    return;  // etcd unreachable: try again next time; the lease may still be alive then
  }
  if (etcd_int(answer->value("result", json::object()), "TTL") <= 0) {
    spdlog::warn(
        "this node's lease in etcd expired (etcd was unreachable longer than {} s); "
        "joining again",
        ttl_.count());
    lease_ = 0;
    if (auto joined = join(); !joined) {
      spdlog::warn("cannot join the cluster again yet: {}", joined.error().message);
    }
  }
}

void EtcdMembership::run() {
  const auto period = std::chrono::milliseconds(ttl_) / 3;
  std::unique_lock lock(mu_);
  while (!stopping_) {
    const bool republish = std::exchange(republish_, false);
    lock.unlock();
    keep_alive();
    if (republish) {
      if (auto done = publish(); !done) {
        std::lock_guard again(mu_);
        republish_ = true;  // next round
      }
    }
    lock.lock();
    wake_.wait_for(lock, period, [this] { return stopping_ || republish_; });
  }
}

void EtcdMembership::start() {
  if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
}

void EtcdMembership::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (const int64_t lease = lease_.exchange(0)) {
    if (store_.client().call("lease/revoke", {{"ID", std::to_string(lease)}}) &&
        !lease_file_.empty())
      std::remove(lease_file_.c_str());  // revoked: nothing to revoke at the next start
  }
}

void EtcdMembership::set_refused(std::optional<RefusedRevision> refused) {
  {
    std::lock_guard lock(mu_);
    if (refused_ == refused) return;
    refused_ = std::move(refused);
    republish_ = true;
  }
  wake_.notify_all();
}

Result<std::vector<NodeRecord>> EtcdMembership::nodes() {
  const std::string prefix = store_.key_of("nodes/");
  auto answer = store_.client().call("kv/range",
                                     {{"key", base64_encode_text(prefix)},
                                      {"range_end", base64_encode_text(etcd_prefix_end(prefix))}});
  if (!answer) return answer.error();
  std::vector<NodeRecord> out;
  for (const json& kv : answer->value("kvs", json::array())) {
    auto key = base64_decode_text(kv.value("key", std::string()));
    auto value = base64_decode_text(kv.value("value", std::string()));
    if (!key || !value || key->rfind(prefix, 0) != 0) continue;
    if (auto node =
            node_record(key->substr(prefix.size()), *value, etcd_int(kv, "create_revision")))
      out.push_back(std::move(*node));
  }
  return out;
}

}  // namespace xlb
