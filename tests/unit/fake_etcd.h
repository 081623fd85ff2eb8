// FakeEtcd: a real HTTP server in the test process (cpp-httplib) speaking the subset of etcd's
// v3 JSON gateway xlb uses: kv/range (also at a past revision), kv/txn, kv/put, watch
// (streamed, several revisions per message, compaction), lease/grant|keepalive|revoke, and
// auth/authenticate with tokens. Its state survives stop()/start(), like a member's data dir,
// so tests can take "etcd" away and bring it back on the same port. Optionally TLS with
// client certificates (httplib::SSLServer).
#pragma once

#include <httplib.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace xlb {

// A fresh directory for the running test (local copies, certificates), removed at the end.
class EtcdTestDir {
 public:
  explicit EtcdTestDir(const std::string& what);
  ~EtcdTestDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct FakeEtcdTls {
  std::string cert_file, key_file;  // the server's
  std::string client_ca_file;       // client certificates must be signed by it
};

class FakeEtcd {
 public:
  explicit FakeEtcd(std::optional<FakeEtcdTls> tls = std::nullopt);
  ~FakeEtcd();

  // Listens on 127.0.0.1 (a free port the first time, the same port after a stop()).
  void start();
  // Closes the port and ends every watch stream; the data stays.
  void stop();
  int port() const { return port_; }
  std::string endpoint() const { return "127.0.0.1:" + std::to_string(port_); }

  // Direct access, as another etcd client would write (a put notifies watchers).
  int64_t put(const std::string& key, const std::string& value, int64_t lease = 0);
  void remove(const std::string& key);
  std::optional<std::string> get(const std::string& key);
  std::vector<std::string> keys(const std::string& prefix);
  int64_t revision();
  // Forgets history up to `revision`: a watch starting at or before it is canceled.
  void compact(int64_t revision);
  // Every lease ends now, as if its TTL passed (its keys are deleted).
  void expire_leases();

  // etcd authentication: every request but authenticate then needs a token.
  void enable_auth(const std::string& user, const std::string& password);
  void expire_tokens();  // every token given so far becomes invalid (code 16)

  // How many requests reached a path ("/v3/kv/txn").
  int requests(const std::string& path);

 private:
  struct Version {
    int64_t mod = 0, create = 0, version = 0, lease = 0;
    std::string value;
    bool deleted = false;
  };
  struct Event {
    std::string key;
    Version v;
  };
  struct Lease {
    int64_t ttl = 0;
    std::set<std::string> keys;
  };

  void serve_routes(httplib::Server& server);
  void handle(const std::string& path, const httplib::Request& req, httplib::Response& res);
  void watch(const nlohmann::json& body, httplib::Response& res);

  // Under mu_.
  nlohmann::json header() const;
  nlohmann::json kv_json(const std::string& key, const Version& v) const;
  const Version* at(const std::string& key, int64_t revision) const;
  std::vector<std::string> range_keys(const nlohmann::json& r, int64_t revision) const;
  nlohmann::json range(const nlohmann::json& r);
  int64_t put_locked(const std::string& key, const std::string& value, int64_t lease);
  void record_put(const std::string& key, const Version& v);
  void delete_locked(const std::string& key, int64_t revision);
  bool compare(const nlohmann::json& c) const;
  nlohmann::json txn(const nlohmann::json& body);
  void revoke_locked(int64_t id);

  std::optional<FakeEtcdTls> tls_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<bool> serving_{false};

  std::mutex mu_;
  std::condition_variable changed_;
  int64_t revision_ = 1;  // etcd starts at 1
  int64_t compacted_ = 0;
  std::map<std::string, std::vector<Version>> history_;
  std::vector<Event> events_;
  std::map<int64_t, Lease> leases_;
  int64_t next_lease_ = 0x1000;
  std::optional<std::pair<std::string, std::string>> auth_;
  std::set<std::string> tokens_;
  int next_token_ = 0;
  std::map<std::string, int> requests_;
};

}  // namespace xlb
