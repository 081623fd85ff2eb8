#include "fake_etcd.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>

#include "store/etcd_client.h"

namespace xlb {
namespace {

using nlohmann::json;

// The gateway writes int64 fields as strings; clients may send either.
int64_t fake_etcd_int(const json& j, const char* field) {
  if (!j.is_object() || !j.contains(field)) return 0;
  const json& v = j[field];
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_string()) return std::stoll(v.get<std::string>());
  return 0;
}

std::string fake_etcd_bytes(const json& j, const char* field) {
  if (!j.is_object() || !j.contains(field) || !j[field].is_string()) return {};
  return base64_decode_text(j[field].get<std::string>()).value_or("");
}

void fake_etcd_error(httplib::Response& res, int http, int grpc, const std::string& message) {
  res.status = http;
  res.set_content(json{{"error", message}, {"code", grpc}, {"message", message}}.dump(),
                  "application/json");
}

}  // namespace

EtcdTestDir::EtcdTestDir(const std::string& what)
    : path_(std::filesystem::temp_directory_path() /
            ("xlb-" + what + "-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
  std::filesystem::remove_all(path_);
  std::filesystem::create_directories(path_);
}

EtcdTestDir::~EtcdTestDir() { std::filesystem::remove_all(path_); }

FakeEtcd::FakeEtcd(std::optional<FakeEtcdTls> tls) : tls_(std::move(tls)) { start(); }

FakeEtcd::~FakeEtcd() { stop(); }

void FakeEtcd::start() {
  if (serving_) return;
  if (tls_) {
    server_ = std::make_unique<httplib::SSLServer>(tls_->cert_file.c_str(), tls_->key_file.c_str(),
                                                   tls_->client_ca_file.c_str());
  } else {
    server_ = std::make_unique<httplib::Server>();
  }
  // One request per connection: stop() then never waits for an idle kept-alive connection.
  server_->set_keep_alive_max_count(1);
  serve_routes(*server_);
  if (port_ == 0) {
    port_ = server_->bind_to_any_port("127.0.0.1");
  } else {
    // The old socket may linger a moment after stop().
    for (int i = 0; i < 100 && !server_->bind_to_port("127.0.0.1", port_); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  serving_ = true;
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // httplib's stop() does nothing before the server runs: a stop() right after start() would
  // leave the thread listening.
  while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void FakeEtcd::stop() {
  if (!serving_) return;
  serving_ = false;
  changed_.notify_all();  // watch streams see serving_ == false and end
  server_->stop();
  thread_.join();
  server_.reset();
}

void FakeEtcd::serve_routes(httplib::Server& server) {
  server.Post(R"(/v3/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
    handle(req.path, req, res);
  });
}

void FakeEtcd::handle(const std::string& path, const httplib::Request& req,
                      httplib::Response& res) {
  const json body = json::parse(req.body, nullptr, false);
  if (!body.is_object()) return fake_etcd_error(res, 400, 3, "bad JSON");
  std::unique_lock lock(mu_);
  ++requests_[path];
  if (path == "/v3/auth/authenticate") {
    if (!auth_ || body.value("name", "") != auth_->first ||
        body.value("password", "") != auth_->second) {
      return fake_etcd_error(res, 400, 3,
                             "etcdserver: authentication failed, invalid user ID or password");
    }
    const std::string token = "token-" + std::to_string(++next_token_);
    tokens_.insert(token);
    res.set_content(json{{"header", header()}, {"token", token}}.dump(), "application/json");
    return;
  }
  if (auth_ && !tokens_.contains(req.get_header_value("Authorization"))) {
    return fake_etcd_error(res, 401, 16, "etcdserver: invalid auth token");
  }
  json out;
  if (path == "/v3/kv/range") {
    const int64_t at = fake_etcd_int(body, "revision");
    if (at != 0 && at < compacted_)
      return fake_etcd_error(res, 400, 11,
                             "etcdserver: mvcc: required revision has been compacted");
    out = range(body);
  } else if (path == "/v3/kv/txn") {
    out = txn(body);
  } else if (path == "/v3/kv/put") {
    put_locked(fake_etcd_bytes(body, "key"), fake_etcd_bytes(body, "value"),
               fake_etcd_int(body, "lease"));
    out = {{"header", header()}};
  } else if (path == "/v3/lease/grant") {
    const int64_t id = ++next_lease_;
    leases_[id] = Lease{fake_etcd_int(body, "TTL"), {}};
    out = {{"header", header()}, {"ID", std::to_string(id)}, {"TTL", body.value("TTL", "0")}};
  } else if (path == "/v3/lease/keepalive") {
    const int64_t id = fake_etcd_int(body, "ID");
    json result = {{"header", header()}, {"ID", std::to_string(id)}};
    if (auto it = leases_.find(id); it != leases_.end())
      result["TTL"] = std::to_string(it->second.ttl);  // an ended lease: no TTL, as etcd
    out = {{"result", result}};
  } else if (path == "/v3/lease/revoke") {
    const int64_t id = fake_etcd_int(body, "ID");
    if (!leases_.contains(id))
      return fake_etcd_error(res, 404, 5, "etcdserver: requested lease not found");
    revoke_locked(id);
    out = {{"header", header()}};
  } else if (path == "/v3/watch") {
    lock.unlock();
    return watch(body, res);
  } else {
    return fake_etcd_error(res, 404, 12, "unknown API " + path);
  }
  res.set_content(out.dump(), "application/json");
}

json FakeEtcd::header() const {
  return {{"cluster_id", "1"},
          {"member_id", "1"},
          {"revision", std::to_string(revision_)},
          {"raft_term", "2"}};
}

json FakeEtcd::kv_json(const std::string& key, const Version& v) const {
  json kv = {{"key", base64_encode_text(key)},
             {"create_revision", std::to_string(v.create)},
             {"mod_revision", std::to_string(v.mod)},
             {"version", std::to_string(v.version)}};
  if (!v.value.empty()) kv["value"] = base64_encode_text(v.value);
  if (v.lease) kv["lease"] = std::to_string(v.lease);
  return kv;
}

const FakeEtcd::Version* FakeEtcd::at(const std::string& key, int64_t revision) const {
  auto it = history_.find(key);
  if (it == history_.end()) return nullptr;
  const Version* found = nullptr;
  for (const Version& v : it->second) {
    if (v.mod <= revision) found = &v;
  }
  return found && !found->deleted ? found : nullptr;
}

std::vector<std::string> FakeEtcd::range_keys(const json& r, int64_t revision) const {
  const std::string key = fake_etcd_bytes(r, "key");
  const std::string end = fake_etcd_bytes(r, "range_end");
  std::vector<std::string> out;
  for (auto it = history_.lower_bound(key); it != history_.end(); ++it) {
    if (end.empty() ? it->first != key : (end != std::string(1, '\0') && it->first >= end)) break;
    if (at(it->first, revision)) out.push_back(it->first);
  }
  return out;
}

json FakeEtcd::range(const json& r) {
  const int64_t revision = fake_etcd_int(r, "revision") ? fake_etcd_int(r, "revision") : revision_;
  json kvs = json::array();
  for (const auto& key : range_keys(r, revision)) kvs.push_back(kv_json(key, *at(key, revision)));
  json out = {{"header", header()}};
  if (!kvs.empty()) {
    out["count"] = std::to_string(kvs.size());
    out["kvs"] = std::move(kvs);  // omitted when empty, as the gateway does
  }
  return out;
}

int64_t FakeEtcd::put_locked(const std::string& key, const std::string& value, int64_t lease) {
  ++revision_;
  const Version* now = at(key, revision_);
  Version v{revision_, now ? now->create : revision_, now ? now->version + 1 : 1, lease, value};
  record_put(key, v);
  changed_.notify_all();
  return revision_;
}

void FakeEtcd::record_put(const std::string& key, const Version& v) {
  for (auto& [id, lease] : leases_) lease.keys.erase(key);  // a put moves the key's lease
  if (v.lease) leases_[v.lease].keys.insert(key);
  history_[key].push_back(v);
  events_.push_back({key, v});
}

void FakeEtcd::delete_locked(const std::string& key, int64_t revision) {
  Version v{revision, 0, 0, 0, {}, true};
  history_[key].push_back(v);
  events_.push_back({key, v});
  changed_.notify_all();
}

bool FakeEtcd::compare(const json& c) const {
  const Version* v = at(fake_etcd_bytes(c, "key"), revision_);
  const std::string target = c.value("target", "VERSION");
  const std::string result = c.value("result", "EQUAL");
  int64_t have = 0, want = 0;
  if (target == "MOD") {
    have = v ? v->mod : 0;
    want = fake_etcd_int(c, "mod_revision");
  } else if (target == "CREATE") {
    have = v ? v->create : 0;
    want = fake_etcd_int(c, "create_revision");
  } else if (target == "VERSION") {
    have = v ? v->version : 0;
    want = fake_etcd_int(c, "version");
  } else {
    return false;
  }
  if (result == "EQUAL") return have == want;
  if (result == "NOT_EQUAL") return have != want;
  if (result == "GREATER") return have > want;
  return have < want;
}

json FakeEtcd::txn(const json& body) {
  bool ok = true;
  for (const json& c : body.value("compare", json::array())) ok = ok && compare(c);
  json responses = json::array();
  bool wrote = false;
  const int64_t base = revision_;
  for (const json& op : body.value(ok ? "success" : "failure", json::array())) {
    if (op.contains("request_put")) {
      const json& p = op["request_put"];
      // One revision for the whole transaction, as etcd.
      if (!wrote) {
        wrote = true;
        ++revision_;
      }
      const std::string key = fake_etcd_bytes(p, "key");
      const Version* now = at(key, base);
      Version v{revision_, now ? now->create : revision_, now ? now->version + 1 : 1,
                fake_etcd_int(p, "lease"), fake_etcd_bytes(p, "value")};
      record_put(key, v);
      responses.push_back({{"response_put", {{"header", header()}}}});
    } else if (op.contains("request_delete_range")) {
      const std::string key = fake_etcd_bytes(op["request_delete_range"], "key");
      json deleted = {{"header", header()}};
      if (at(key, base)) {
        if (!wrote) {
          wrote = true;
          ++revision_;
        }
        delete_locked(key, revision_);
        deleted["deleted"] = "1";
      }
      responses.push_back({{"response_delete_range", deleted}});
    } else if (op.contains("request_range")) {
      responses.push_back({{"response_range", range(op["request_range"])}});
    }
  }
  changed_.notify_all();
  json out = {{"header", header()}, {"responses", responses}};
  if (ok) out["succeeded"] = true;  // false is omitted, as the gateway does
  return out;
}

void FakeEtcd::revoke_locked(int64_t id) {
  auto lease = leases_.extract(id);
  if (lease.empty() || lease.mapped().keys.empty()) return;
  ++revision_;
  for (const auto& key : lease.mapped().keys) {
    if (at(key, revision_)) delete_locked(key, revision_);
  }
}

void FakeEtcd::watch(const json& body, httplib::Response& res) {
  const json create = body.value("create_request", json::object());
  std::unique_lock lock(mu_);
  const int64_t start = fake_etcd_int(create, "start_revision");
  auto next = std::make_shared<int64_t>(start ? start : revision_ + 1);
  auto sent_created = std::make_shared<bool>(false);
  const std::string key = fake_etcd_bytes(create, "key");
  const std::string end = fake_etcd_bytes(create, "range_end");
  lock.unlock();
  res.set_chunked_content_provider(
      "application/json", [this, next, sent_created, key, end](size_t, httplib::DataSink& sink) {
        std::unique_lock lock(mu_);
        auto send = [&sink](const json& message) {
          const std::string line = message.dump() + "\n";
          return sink.write(line.data(), line.size());
        };
        if (!*sent_created) {
          *sent_created = true;
          if (!send({{"result", {{"header", header()}, {"created", true}}}})) return false;
          if (*next < compacted_) {
            send({{"result",
                   {{"header", header()},
                    {"canceled", true},
                    {"compact_revision", std::to_string(compacted_)}}}});
            sink.done();
            return true;
          }
        }
        changed_.wait_for(lock, std::chrono::milliseconds(50),
                          [&] { return !serving_ || revision_ >= *next; });
        if (!serving_) return false;  // the member went away: the connection breaks
        json events = json::array();
        for (const Event& e : events_) {
          if (e.v.mod < *next || e.key < key || (!end.empty() && e.key >= end)) continue;
          json event = {{"kv", kv_json(e.key, e.v)}};
          if (e.v.deleted) {
            event["type"] = "DELETE";
            event["kv"] = {{"key", base64_encode_text(e.key)},
                           {"mod_revision", std::to_string(e.v.mod)}};
          }
          events.push_back(std::move(event));
        }
        *next = revision_ + 1;
        // Every revision since the last message in one message, as etcd may batch them.
        if (!events.empty() && !send({{"result", {{"header", header()}, {"events", events}}}}))
          return false;
        return sink.is_writable();
      });
}

int64_t FakeEtcd::put(const std::string& key, const std::string& value, int64_t lease) {
  std::lock_guard lock(mu_);
  return put_locked(key, value, lease);
}

void FakeEtcd::remove(const std::string& key) {
  std::lock_guard lock(mu_);
  if (!at(key, revision_)) return;
  ++revision_;
  delete_locked(key, revision_);
}

std::optional<std::string> FakeEtcd::get(const std::string& key) {
  std::lock_guard lock(mu_);
  if (const Version* v = at(key, revision_)) return v->value;
  return std::nullopt;
}

std::vector<std::string> FakeEtcd::keys(const std::string& prefix) {
  std::lock_guard lock(mu_);
  std::string end = prefix;
  end.back() = static_cast<char>(end.back() + 1);
  return range_keys({{"key", base64_encode_text(prefix)}, {"range_end", base64_encode_text(end)}},
                    revision_);
}

int64_t FakeEtcd::revision() {
  std::lock_guard lock(mu_);
  return revision_;
}

void FakeEtcd::compact(int64_t revision) {
  std::lock_guard lock(mu_);
  compacted_ = revision;
  std::erase_if(events_, [revision](const Event& e) { return e.v.mod < revision; });
}

void FakeEtcd::expire_leases() {
  std::lock_guard lock(mu_);
  while (!leases_.empty()) revoke_locked(leases_.begin()->first);
}

void FakeEtcd::enable_auth(const std::string& user, const std::string& password) {
  std::lock_guard lock(mu_);
  auth_ = {user, password};
}

void FakeEtcd::expire_tokens() {
  std::lock_guard lock(mu_);
  tokens_.clear();
}

int FakeEtcd::requests(const std::string& path) {
  std::lock_guard lock(mu_);
  return requests_[path];
}

}  // namespace xlb
