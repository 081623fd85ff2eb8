// EtcdClient and EtcdStore against FakeEtcd (a real HTTP server speaking the v3 gateway):
// keys, conditional writes and conflicts, the watch (batches, compaction, a vanished member),
// validation of what etcd holds, fail-over, the unreachable case, authentication tokens and
// TLS with client certificates.
#include "store/etcd_store.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <thread>

#include "fake_etcd.h"
#include "model/json.h"

namespace xlb {
namespace {

using namespace std::chrono_literals;

model::Service etcd_rule(const std::string& vip, uint16_t port, const std::string& endpoint) {
  model::Service s;
  s.key = {vip, model::Protocol::tcp, port};
  s.endpoints.push_back({endpoint, 8080, 1, model::EndpointState::up});
  return s;
}

// A port nothing listens on: bound by a socket that is then closed.
int etcd_dead_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), len), 0);
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

class EtcdStoreTest : public ::testing::Test {
 protected:
  EtcdStoreOptions options(std::vector<EtcdEndpoint> endpoints = {}) {
    EtcdStoreOptions o;
    o.client.endpoints =
        endpoints.empty() ? std::vector<EtcdEndpoint>{{"127.0.0.1", etcd_.port()}} : endpoints;
    o.client.connect_timeout = 300ms;
    o.local_copy_dir = dir_.string();
    return o;
  }

  FakeEtcd etcd_;
  EtcdTestDir test_dir_{"etcd-store"};
  const std::filesystem::path& dir_ = test_dir_.path();
};

TEST(EtcdBase64, MatchesRfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foobar", "Zm9vYmFy"}};
  for (auto [plain, coded] : vectors) {
    EXPECT_EQ(base64_encode_text(plain), coded);
    EXPECT_EQ(base64_decode_text(coded), plain);
  }
  const std::string binary("\xff\x00\x10", 3);
  EXPECT_EQ(base64_encode_text(binary), "/wAQ");
  EXPECT_EQ(base64_decode_text("/wAQ"), binary);
  EXPECT_FALSE(base64_decode_text("Zg="));   // not a multiple of 4
  EXPECT_FALSE(base64_decode_text("Z@=="));  // not in the alphabet
  EXPECT_FALSE(base64_decode_text("Z=g="));  // data after padding
}

TEST(EtcdUrl, ParsesEndpointsAndRefusesOtherShapes) {
  auto eps = parse_etcd_url("etcd://10.0.9.5:2379,etcd-b.example:12379");
  ASSERT_TRUE(eps.ok());
  ASSERT_EQ(eps->size(), 2u);
  EXPECT_EQ((*eps)[0].text(), "10.0.9.5:2379");
  EXPECT_EQ((*eps)[1].text(), "etcd-b.example:12379");
  for (const char* bad :
       {"http://10.0.9.5:2379", "etcd://10.0.9.5", "etcd://10.0.9.5:0", "etcd://10.0.9.5:99999",
        "etcd://a b:2379", "etcd://:2379", "etcd://10.0.9.5:2379,"}) {
    auto r = parse_etcd_url(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().field, "store");
    EXPECT_NE(r.error().message.find("--store must be etcd://"), std::string::npos) << bad;
  }
}

TEST(EtcdPrefix, RefusesWhatIsNotAKeyPrefix) {
  EXPECT_TRUE(check_store_prefix("/xlb").ok());
  EXPECT_TRUE(check_store_prefix("/prod/lb-1").ok());
  for (const char* bad : {"xlb", "/", "/xlb/", "//xlb", "/x lb", "/xlb\n"})
    EXPECT_FALSE(check_store_prefix(bad).ok()) << bad;
}

TEST_F(EtcdStoreTest, OneKeyPerRuleAndPerProbeUnderTheVersionedPrefix) {
  EtcdStore store(options());
  model::EndpointProbe probe;
  probe.ip = "10.1.2.10";
  probe.probe.type = health::ProbeType::tcp;
  auto rev = store.commit({{rule_item_name({"20.20.20.1", model::Protocol::tcp, 80}), 0,
                            etcd_rule("20.20.20.1", 80, "10.1.2.10")},
                           {rule_item_name({"20.20.20.1", model::Protocol::tcp, 81}), 0,
                            etcd_rule("20.20.20.1", 81, "10.1.2.11")},
                           {probe_item_name("10.1.2.10"), 0, probe}});
  ASSERT_TRUE(rev.ok()) << rev.error().message;
  EXPECT_EQ(etcd_.keys("/xlb/"),
            (std::vector<std::string>{"/xlb/v1/probes/10.1.2.10", "/xlb/v1/rules/20.20.20.1:80:tcp",
                                      "/xlb/v1/rules/20.20.20.1:81:tcp"}));
  // The value is the API's JSON of the rule.
  auto stored = nlohmann::json::parse(*etcd_.get("/xlb/v1/rules/20.20.20.1:80:tcp"));
  EXPECT_EQ(stored["vip"], "20.20.20.1");
  EXPECT_EQ(stored["endpoints"][0]["ip"], "10.1.2.10");

  auto snap = store.snapshot();
  ASSERT_TRUE(snap.ok()) << snap.error().message;
  EXPECT_EQ(snap->revision, *rev);
  ASSERT_EQ(snap->items.size(), 3u);
  EXPECT_TRUE(snap->invalid.empty());
  for (const auto& item : snap->items) EXPECT_EQ(item.revision, *rev) << item.name;
  EXPECT_EQ(std::get<model::Service>(*snap->items[0].item),
            etcd_rule("20.20.20.1", 80, "10.1.2.10"));
  EXPECT_EQ(std::get<model::EndpointProbe>(*snap->items[2].item).ip, "10.1.2.10");
}

TEST_F(EtcdStoreTest, FullproxyRulesOfOneVipPortDifferByHost) {
  EtcdStore store(options());
  model::Service a = etcd_rule("20.20.20.1", 8080, "10.1.2.10");
  a.mode = model::Mode::fullproxy;
  a.key.host = "www.a.com";
  model::Service b = a;
  b.key.host = "www.b.com";
  ASSERT_TRUE(store.commit({{rule_item_name(a.key), 0, a}, {rule_item_name(b.key), 0, b}}).ok());
  EXPECT_EQ(etcd_.keys("/xlb/"),
            (std::vector<std::string>{"/xlb/v1/rules/20.20.20.1:8080:tcp:www.a.com",
                                      "/xlb/v1/rules/20.20.20.1:8080:tcp:www.b.com"}));
  auto snap = store.snapshot();
  ASSERT_TRUE(snap.ok());
  ASSERT_EQ(snap->items.size(), 2u)
      << (snap->invalid.empty() ? "" : snap->invalid.begin()->second.message);
  EXPECT_EQ(std::get<model::Service>(*snap->items[1].item).key.host, "www.b.com");
}

TEST_F(EtcdStoreTest, ConditionalWriteRefusesAMovedItemAndWritesNothing) {
  EtcdStore store(options());
  const std::string a = rule_item_name({"20.20.20.1", model::Protocol::tcp, 80});
  const std::string b = rule_item_name({"20.20.20.2", model::Protocol::tcp, 80});
  auto first = store.commit({{a, 0, etcd_rule("20.20.20.1", 80, "10.1.2.10")}});
  ASSERT_TRUE(first.ok());

  // Created meanwhile by someone else: a create (expected 0) conflicts.
  auto again = store.commit({{b, 0, etcd_rule("20.20.20.2", 80, "10.1.2.10")},
                             {a, 0, etcd_rule("20.20.20.1", 80, "10.1.2.99")}});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::conflict);
  EXPECT_EQ(again.error().message,
            "rule 20.20.20.1:80:tcp was created by another writer; nothing was applied: read it "
            "again and retry");
  EXPECT_FALSE(etcd_.get("/xlb/v1/rules/20.20.20.2:80:tcp")) << "half of a refused write";

  // Changed since the revision this writer read.
  auto second = store.commit({{a, *first, etcd_rule("20.20.20.1", 80, "10.1.2.11")}});
  ASSERT_TRUE(second.ok());
  auto stale = store.commit({{a, *first, etcd_rule("20.20.20.1", 80, "10.1.2.12")}});
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, ErrorCode::conflict);
  EXPECT_NE(stale.error().message.find("now at revision " + std::to_string(*second) +
                                       ", this node read " + std::to_string(*first)),
            std::string::npos)
      << stale.error().message;
  EXPECT_NE(etcd_.get("/xlb/v1/rules/20.20.20.1:80:tcp")->find("10.1.2.11"), std::string::npos);

  // A delete on the right revision.
  ASSERT_TRUE(store.commit({{a, *second, std::nullopt}}).ok());
  EXPECT_FALSE(etcd_.get("/xlb/v1/rules/20.20.20.1:80:tcp"));
}

TEST_F(EtcdStoreTest, TooManyWritesForOneTransactionAreRefusedBeforeEtcd) {
  EtcdStore store(options());
  std::vector<ItemWrite> writes;
  for (int i = 0; i < 129; ++i) {
    auto svc = etcd_rule("20.20.20.1", static_cast<uint16_t>(1000 + i), "10.1.2.10");
    writes.push_back({rule_item_name(svc.key), 0, svc});
  }
  auto r = store.commit(writes);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(etcd_.requests("/v3/kv/txn"), 0);
}

TEST_F(EtcdStoreTest, WhatEtcdHoldsIsCheckedLikeApiInput) {
  EtcdStore store(options());
  etcd_.put("/xlb/v1/rules/20.20.20.1:80:tcp",
            model::to_json(etcd_rule("20.20.20.1", 80, "10.1.2.10")).dump());
  const std::pair<const char*, const char*> bad[] = {
      // not JSON
      {"/xlb/v1/rules/20.20.20.2:80:tcp", "{nope"},
      // a duplicate key
      {"/xlb/v1/rules/20.20.20.3:80:tcp",
       R"({"vip":"20.20.20.3","vip":"20.20.20.3","port":80,"protocol":"tcp","endpoints":[]})"},
      // a field this xlbd does not know
      {"/xlb/v1/rules/20.20.20.4:80:tcp",
       R"({"vip":"20.20.20.4","port":80,"protocol":"tcp","endpoints":[{"ip":"10.1.2.10","port":8080}],"teleport":true})"},
      // an invalid value
      {"/xlb/v1/rules/20.20.20.5:80:tcp",
       R"({"vip":"20.20.20.5","port":80,"protocol":"tcp","endpoints":[{"ip":"10.1.2.300","port":8080}]})"},
      // a rule stored under another rule's key
      {"/xlb/v1/rules/20.20.20.6:80:tcp",
       R"({"vip":"20.20.20.7","port":80,"protocol":"tcp","endpoints":[{"ip":"10.1.2.10","port":8080}]})"},
  };
  for (auto [key, value] : bad) etcd_.put(key, value);
  etcd_.put("/xlb/v1/nodes/other", R"({"name":"other"})");  // not configuration

  auto snap = store.snapshot();
  ASSERT_TRUE(snap.ok()) << snap.error().message;
  ASSERT_EQ(snap->items.size(), 1u);
  EXPECT_EQ(snap->items[0].name, "rules/20.20.20.1:80:tcp");
  ASSERT_EQ(snap->invalid.size(), std::size(bad));
  for (auto [key, value] : bad) {
    const std::string name = std::string(key).substr(std::string("/xlb/v1/").size());
    ASSERT_TRUE(snap->invalid.contains(name)) << name;
    const Error& e = snap->invalid.at(name);
    EXPECT_EQ(e.code, ErrorCode::invalid_argument);
    EXPECT_EQ(e.message.rfind(std::string("etcd key ") + key + " ", 0), 0u)
        << key << ": " << e.message;
  }
  EXPECT_NE(snap->invalid.at("rules/20.20.20.3:80:tcp").message.find("duplicate key"),
            std::string::npos);
  EXPECT_NE(snap->invalid.at("rules/20.20.20.5:80:tcp").message.find("endpoints[0].ip"),
            std::string::npos)
      << snap->invalid.at("rules/20.20.20.5:80:tcp").message;
  EXPECT_NE(snap->invalid.at("rules/20.20.20.6:80:tcp").message.find("belongs under"),
            std::string::npos);
}

// Runs store.watch(after) on a thread, collecting updates.
struct WatchRun {
  std::mutex mu;
  std::vector<StoreUpdate> updates;
  std::future<Result<void>> done;

  WatchRun(EtcdStore& store, Revision after) {
    done = std::async(std::launch::async, [this, &store, after] {
      return store.watch(after, [this](const StoreUpdate& u) {
        std::lock_guard lock(mu);
        updates.push_back(u);
      });
    });
  }
  size_t count() {
    std::lock_guard lock(mu);
    return updates.size();
  }
  bool wait_for(size_t n, std::chrono::milliseconds within = 2s) {
    const auto until = std::chrono::steady_clock::now() + within;
    while (count() < n) {
      if (std::chrono::steady_clock::now() > until) return false;
      std::this_thread::sleep_for(5ms);
    }
    return true;
  }
};

TEST_F(EtcdStoreTest, WatchDeliversEachRevisionInOrderWithItsItems) {
  EtcdStore store(options());
  const Revision start = etcd_.revision();
  // Three revisions before the watch starts: the gateway may batch them in one message.
  const std::string a = "/xlb/v1/rules/20.20.20.1:80:tcp";
  const Revision r1 = etcd_.put(a, model::to_json(etcd_rule("20.20.20.1", 80, "10.1.2.10")).dump());
  const Revision r2 = etcd_.put(a, model::to_json(etcd_rule("20.20.20.1", 80, "10.1.2.11")).dump());
  const Revision r3 = etcd_.put("/xlb/v1/rules/20.20.20.9:80:tcp", "garbage");
  WatchRun run(store, start);
  ASSERT_TRUE(run.wait_for(3));
  const Revision t0 = etcd_.revision();
  etcd_.remove(a);
  ASSERT_TRUE(run.wait_for(4));
  store.stop_watch();
  auto ended = run.done.get();
  ASSERT_FALSE(ended.ok());
  EXPECT_EQ(ended.error().message, "watch stopped");

  ASSERT_EQ(run.updates.size(), 4u);
  EXPECT_EQ(run.updates[0].revision, r1);
  EXPECT_EQ(run.updates[1].revision, r2);
  ASSERT_EQ(run.updates[1].changes.size(), 1u);
  EXPECT_EQ(std::get<model::Service>(*run.updates[1].changes[0].item).endpoints[0].ip, "10.1.2.11");
  EXPECT_EQ(run.updates[2].revision, r3);
  EXPECT_TRUE(run.updates[2].changes.empty());
  ASSERT_TRUE(run.updates[2].invalid.contains("rules/20.20.20.9:80:tcp"));
  EXPECT_EQ(run.updates[3].revision, t0 + 1);
  ASSERT_EQ(run.updates[3].changes.size(), 1u);
  EXPECT_FALSE(run.updates[3].changes[0].item) << "a delete";
  EXPECT_EQ(run.updates[3].changes[0].name, "rules/20.20.20.1:80:tcp");
}

TEST_F(EtcdStoreTest, WatchFromACompactedRevisionEndsSoTheCallerReadsEverything) {
  EtcdStore store(options());
  const Revision old = etcd_.revision();
  for (int i = 0; i < 3; ++i)
    etcd_.put("/xlb/v1/rules/20.20.20.1:80:tcp",
              model::to_json(etcd_rule("20.20.20.1", 80, "10.1.2.10")).dump());
  etcd_.compact(etcd_.revision());
  WatchRun run(store, old);
  auto ended = run.done.get();
  ASSERT_FALSE(ended.ok());
  EXPECT_NE(ended.error().message.find("compacted"), std::string::npos) << ended.error().message;
  EXPECT_EQ(run.count(), 0u);
}

TEST_F(EtcdStoreTest, WatchEndsWhenTheMemberGoesAway) {
  EtcdStore store(options());
  WatchRun run(store, etcd_.revision());
  std::this_thread::sleep_for(100ms);
  etcd_.stop();
  ASSERT_EQ(run.done.wait_for(3s), std::future_status::ready) << "watch still running";
  auto ended = run.done.get();
  ASSERT_FALSE(ended.ok());
  EXPECT_EQ(ended.error().code, ErrorCode::unavailable);
  EXPECT_NE(ended.error().message.find(etcd_.endpoint()), std::string::npos)
      << ended.error().message;
}

TEST_F(EtcdStoreTest, FailsOverToAMemberThatAnswers) {
  const int dead = etcd_dead_port();
  EtcdStore store(options({{"127.0.0.1", dead}, {"127.0.0.1", etcd_.port()}}));
  auto snap = store.snapshot();
  ASSERT_TRUE(snap.ok()) << snap.error().message;
  EXPECT_EQ(store.client().current_endpoint(), etcd_.endpoint());
}

TEST_F(EtcdStoreTest, UnreachableFailsFastNamingEveryEndpointAndWritesNothing) {
  const int dead = etcd_dead_port();
  EtcdStore store(options({{"127.0.0.1", etcd_.port()}, {"127.0.0.1", dead}}));
  etcd_.stop();
  const auto t0 = std::chrono::steady_clock::now();
  auto r = store.commit({{"rules/20.20.20.1:80:tcp", 0, etcd_rule("20.20.20.1", 80, "10.1.2.10")}});
  const auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::unavailable);
  EXPECT_LT(took, 2s);
  EXPECT_NE(
      r.error().message.find("etcd is unreachable: " + etcd_.endpoint() + " (cannot connect)"),
      std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find("127.0.0.1:" + std::to_string(dead)), std::string::npos);
  EXPECT_NE(r.error().message.find("nothing was changed"), std::string::npos);
  etcd_.start();
  EXPECT_TRUE(etcd_.keys("/xlb/").empty());
}

TEST_F(EtcdStoreTest, ImportWritesEveryItemOnlyIntoAnEmptyPrefix) {
  EtcdStore store(options());
  model::Config cfg;
  for (int i = 0; i < 200; ++i)
    cfg.services.push_back(etcd_rule("20.20.20.1", static_cast<uint16_t>(1000 + i), "10.1.2.10"));
  auto n = store.import(cfg);
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_EQ(*n, 200u);
  EXPECT_EQ(etcd_.keys("/xlb/v1/rules/").size(), 200u);
  EXPECT_EQ(etcd_.requests("/v3/kv/txn"), 2) << "128 writes per transaction at most";

  auto again = store.import(cfg);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::conflict);
  EXPECT_NE(again.error().message.find("already holds 200"), std::string::npos);
}

TEST_F(EtcdStoreTest, AuthenticatesAndRenewsARefusedToken) {
  etcd_.enable_auth("xlb", "s3cret");
  auto o = options();
  o.client.user = "xlb";
  o.client.password = "s3cret";
  EtcdStore store(o);
  ASSERT_TRUE(store.snapshot().ok());
  ASSERT_TRUE(store.snapshot().ok());
  EXPECT_EQ(etcd_.requests("/v3/auth/authenticate"), 1) << "the token is reused";
  etcd_.expire_tokens();
  auto snap = store.snapshot();
  ASSERT_TRUE(snap.ok()) << snap.error().message;
  EXPECT_EQ(etcd_.requests("/v3/auth/authenticate"), 2) << "a refused token is renewed";

  // Renewed before etcd's TTL runs out, too.
  o.client.token_renewal = 0ms;
  EtcdStore eager(o);
  ASSERT_TRUE(eager.snapshot().ok());  // two ranges (rules, probes), each with a new token
  EXPECT_EQ(etcd_.requests("/v3/auth/authenticate"), 4);

  o.client.password = "wrong";
  EtcdStore refused(o);
  auto r = refused.snapshot();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::store);
  EXPECT_NE(r.error().message.find("refused user \"xlb\""), std::string::npos) << r.error().message;
}

// Certificates made with the openssl command: a CA, etcd's server certificate and a client one.
class EtcdTlsTest : public EtcdStoreTest {
 protected:
  void SetUp() override {
    if (std::system("command -v openssl >/dev/null") != 0) GTEST_SKIP() << "no openssl command";
    const std::string d = dir_.string();
    const std::string cmd =
        "(cd " + d +
        " && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 1 "
        "-subj /CN=test-ca"
        " && for n in server client; do"
        " openssl req -newkey rsa:2048 -nodes -keyout $n.key -out $n.csr -subj /CN=127.0.0.1"
        " && printf 'subjectAltName=IP:127.0.0.1\\n' > $n.ext"
        " && openssl x509 -req -in $n.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out $n.crt"
        " -days 1 -extfile $n.ext || exit 1; done) >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }
  std::string file(const char* name) const { return (dir_ / name).string(); }
};

TEST_F(EtcdTlsTest, SpeaksTlsWithAClientCertificate) {
  FakeEtcd secure(FakeEtcdTls{file("server.crt"), file("server.key"), file("ca.crt")});
  auto o = options({{"127.0.0.1", secure.port()}});
  o.client.ca_file = file("ca.crt");
  o.client.cert_file = file("client.crt");
  o.client.key_file = file("client.key");
  EtcdStore store(o);
  auto r = store.commit({{"rules/20.20.20.1:80:tcp", 0, etcd_rule("20.20.20.1", 80, "10.1.2.10")}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(secure.get("/xlb/v1/rules/20.20.20.1:80:tcp"));

  // Without the client certificate etcd's TLS refuses the connection.
  o.client.cert_file.clear();
  o.client.key_file.clear();
  EtcdStore anonymous(o);
  auto refused = anonymous.snapshot();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::unavailable);
}

}  // namespace
}  // namespace xlb
