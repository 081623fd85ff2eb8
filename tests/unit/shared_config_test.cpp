// Nodes sharing one configuration through FakeEtcd: each is a Reconciler on a FakeDatapath, an
// EtcdStore and a SharedConfig following the watch. Writes become conditional transactions
// applied by every node from the watch; conflicts, refused revisions, invalid items, the store
// going away (stale reads, 503 naming the endpoint), compaction, the local copy, membership.
#include "reconcile/shared_config.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <thread>

#include "datapath/fake/fake_datapath.h"
#include "fake_etcd.h"
#include "model/json.h"
#include "store/etcd_membership.h"
#include "store/etcd_store.h"

namespace xlb {
namespace {

using namespace std::chrono_literals;

model::Service shared_rule(uint16_t port, const std::string& endpoint = "10.1.2.10") {
  model::Service s;
  s.key = {"20.20.20.1", model::Protocol::tcp, port};
  s.endpoints.push_back({endpoint, 8080, 1, model::EndpointState::up});
  return s;
}

bool shared_eventually(const std::function<bool()>& done, std::chrono::milliseconds within = 2s) {
  const auto until = std::chrono::steady_clock::now() + within;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

// One xlbd's worth of the shared configuration.
struct SharedNode {
  SharedNode(FakeEtcd& etcd, const std::filesystem::path& dir, uint32_t max_services = 64)
      : dp(max_services), store(options(etcd, dir)), rec(dp, store) {
    std::filesystem::create_directories(dir);
    EXPECT_TRUE(rec.restore().ok());
    shared = std::make_unique<SharedConfig>(
        rec, store, StoreStatus{.kind = "etcd", .location = "etcd://" + etcd.endpoint()},
        SharedConfigOptions{.apply_wait = 2s, .retry_min = 20ms, .retry_max = 200ms});
    rec.set_shared_writer(shared.get());
  }
  ~SharedNode() { shared->stop(); }

  static EtcdStoreOptions options(FakeEtcd& etcd, const std::filesystem::path& dir) {
    EtcdStoreOptions o;
    o.client.endpoints = {{"127.0.0.1", etcd.port()}};
    o.client.connect_timeout = 300ms;
    o.local_copy_dir = dir.string();
    return o;
  }
  bool has(const model::Service& svc) const {
    for (const auto& s : rec.config().services)
      if (s == svc) return true;
    return false;
  }
  size_t rules() const { return rec.config().services.size(); }

  FakeDatapath dp;
  EtcdStore store;
  Reconciler rec;
  std::unique_ptr<SharedConfig> shared;
};

class SharedConfigTest : public ::testing::Test {
 protected:
  std::unique_ptr<SharedNode> node(const std::string& name, uint32_t max_services = 64) {
    return std::make_unique<SharedNode>(etcd_, dir_ / name, max_services);
  }

  FakeEtcd etcd_;
  EtcdTestDir test_dir_{"shared"};
  const std::filesystem::path& dir_ = test_dir_.path();
};

TEST_F(SharedConfigTest, AWriteIsAppliedByEveryNodeFromTheWatch) {
  auto a = node("a"), b = node("b");
  a->shared->start();
  b->shared->start();
  const auto t0 = std::chrono::steady_clock::now();
  auto done = a->rec.upsert(shared_rule(80));
  ASSERT_TRUE(done.ok()) << done.error().message;
  // The writer answers once it applied the revision itself.
  EXPECT_TRUE(a->has(shared_rule(80)));
  EXPECT_EQ(a->dp.services().size(), 1u);
  ASSERT_TRUE(shared_eventually([&] { return b->has(shared_rule(80)); }, 1s)) << "B within 1 s";
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
  // The status (and the local copy) follow the datapath: B reports the write's revision.
  ASSERT_TRUE(shared_eventually(
      [&] { return b->shared->store_status(false).applied_revision == etcd_.revision(); }));
  EXPECT_EQ(b->dp.services().size(), 1u);
  // In etcd under its own key; each node keeps a local copy of what it applied.
  EXPECT_TRUE(etcd_.get("/xlb/v1/rules/20.20.20.1:80:tcp"));
  auto copy = b->store.load();
  ASSERT_TRUE(copy.ok() && *copy);
  EXPECT_EQ((*copy)->services, std::vector<model::Service>{shared_rule(80)});

  auto st = b->shared->store_status(false);
  EXPECT_TRUE(st.connected);
  EXPECT_FALSE(st.stale());

  ASSERT_TRUE(b->rec.remove(shared_rule(80).key).ok());
  EXPECT_EQ(b->rules(), 0u);
  ASSERT_TRUE(shared_eventually([&] { return a->rules() == 0; }, 1s));
  EXPECT_FALSE(etcd_.get("/xlb/v1/rules/20.20.20.1:80:tcp"));
}

TEST_F(SharedConfigTest, ConcurrentCreatesOfDifferentRulesAllSucceed) {
  auto a = node("a"), b = node("b"), c = node("c");
  for (auto* n : {a.get(), b.get(), c.get()}) n->shared->start();
  std::vector<std::future<Result<void>>> writes;
  for (uint16_t i = 0; i < 20; ++i) {
    Reconciler& rec = i % 2 ? a->rec : b->rec;
    writes.push_back(
        std::async(std::launch::async, [&rec, i] { return rec.upsert(shared_rule(1000 + i)); }));
  }
  for (auto& w : writes) {
    auto r = w.get();
    EXPECT_TRUE(r.ok()) << r.error().message;
  }
  ASSERT_TRUE(shared_eventually([&] { return c->rules() == 20; }, 1s)) << c->rules();
  EXPECT_EQ(c->dp.services().size(), 20u);
}

TEST_F(SharedConfigTest, AWriteOnARevisionSomeoneChangedIsRefusedWith409AndNothingApplied) {
  auto a = node("a"), b = node("b");
  b->shared->start();
  ASSERT_TRUE(b->rec.upsert(shared_rule(80, "10.1.2.10")).ok());
  // A reads the store once and follows no watch: its view stays at that revision.
  ASSERT_TRUE(a->shared->sync().ok());
  ASSERT_TRUE(a->has(shared_rule(80, "10.1.2.10")));
  ASSERT_TRUE(b->rec.upsert(shared_rule(80, "10.1.2.11")).ok());

  auto lost = a->rec.upsert(shared_rule(80, "10.1.2.12"));
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.error().code, ErrorCode::conflict);  // 409
  EXPECT_NE(lost.error().message.find("rule 20.20.20.1:80:tcp was changed by another writer"),
            std::string::npos)
      << lost.error().message;
  EXPECT_TRUE(a->has(shared_rule(80, "10.1.2.10"))) << "nothing applied on the loser";
  EXPECT_NE(etcd_.get("/xlb/v1/rules/20.20.20.1:80:tcp")->find("10.1.2.11"), std::string::npos);

  // Two creates of the same new rule, both read before either wrote: the later one loses.
  auto c = node("c");
  ASSERT_TRUE(c->shared->sync().ok());
  ASSERT_TRUE(b->rec.upsert(shared_rule(81, "10.1.2.13")).ok());
  auto refused = c->rec.upsert(shared_rule(81, "10.1.2.14"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::conflict);
  EXPECT_NE(refused.error().message.find("rule 20.20.20.1:81:tcp was created by another writer"),
            std::string::npos)
      << refused.error().message;
  EXPECT_FALSE(c->has(shared_rule(81, "10.1.2.14")));
}

TEST_F(SharedConfigTest, ARevisionANodeCannotApplyIsRefusedWholeAndReported) {
  // Declared before the nodes so they outlive the node's thread, which calls the hook; the hook
  // runs after the status changes, so the test waits for it rather than reading it at once.
  std::vector<std::pair<int64_t, std::string>> published;
  std::mutex mu;
  auto published_count = [&] {
    std::lock_guard lock(mu);
    return published.size();
  };
  auto a = node("a"), small = node("small", /*max_services=*/2);
  small->shared->set_on_refusal([&](int64_t rev, const std::string& reason) {
    std::lock_guard lock(mu);
    published.emplace_back(rev, reason);
  });
  a->shared->start();
  small->shared->start();
  ASSERT_TRUE(a->rec.upsert(shared_rule(80)).ok());
  ASSERT_TRUE(a->rec.upsert(shared_rule(81)).ok());
  ASSERT_TRUE(shared_eventually([&] { return small->rules() == 2; }));
  ASSERT_TRUE(a->rec.upsert(shared_rule(82)).ok());
  const Revision third = etcd_.revision();

  ASSERT_TRUE(
      shared_eventually([&] { return small->shared->store_status(false).refused_revision != 0; }));
  auto st = small->shared->store_status(false);
  EXPECT_EQ(st.refused_revision, third);
  EXPECT_NE(st.refused_reason.find("too many rules (max 2)"), std::string::npos)
      << st.refused_reason;
  EXPECT_EQ(st.applied_revision, third - 1) << "keeps running what it had";
  EXPECT_EQ(small->rules(), 2u);
  EXPECT_EQ(small->dp.services().size(), 2u);
  ASSERT_TRUE(shared_eventually([&] { return published_count() >= 1; }));
  {
    std::lock_guard lock(mu);
    ASSERT_EQ(published.size(), 1u);
    EXPECT_EQ(published[0].first, third);
  }

  ASSERT_TRUE(a->rec.remove(shared_rule(80).key).ok());
  ASSERT_TRUE(
      shared_eventually([&] { return small->shared->store_status(false).refused_revision == 0; }));
  EXPECT_TRUE(small->has(shared_rule(82)));
  EXPECT_FALSE(small->has(shared_rule(80)));
  EXPECT_EQ(small->shared->store_status(false).refused_total, 1u);
  ASSERT_TRUE(shared_eventually([&] { return published_count() >= 2; }));
  std::lock_guard lock(mu);
  ASSERT_EQ(published.size(), 2u);
  EXPECT_EQ(published[1].first, 0) << "the refusal's end is published too";
}

TEST_F(SharedConfigTest, AnInvalidItemInEtcdIsRefusedUntilItIsFixed) {
  auto a = node("a");
  a->shared->start();
  ASSERT_TRUE(a->rec.upsert(shared_rule(80)).ok());
  etcd_.put("/xlb/v1/rules/20.20.20.1:81:tcp", R"({"vip":"20.20.20.1","port":81})");
  ASSERT_TRUE(
      shared_eventually([&] { return a->shared->store_status(false).refused_revision != 0; }));
  EXPECT_NE(a->shared->store_status(false).refused_reason.find(
                "etcd key /xlb/v1/rules/20.20.20.1:81:tcp is not a valid item"),
            std::string::npos)
      << a->shared->store_status(false).refused_reason;
  // Another writer's valid change meanwhile: still refused whole (the invalid item stands).
  etcd_.put("/xlb/v1/rules/20.20.20.1:82:tcp", model::to_json(shared_rule(82)).dump());
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(a->has(shared_rule(82)));
  EXPECT_EQ(a->dp.services().size(), 1u);

  etcd_.put("/xlb/v1/rules/20.20.20.1:81:tcp", model::to_json(shared_rule(81)).dump());
  ASSERT_TRUE(shared_eventually([&] { return a->rules() == 3; }));
  EXPECT_TRUE(
      shared_eventually([&] { return a->shared->store_status(false).refused_revision == 0; }));
}

TEST_F(SharedConfigTest, EtcdAwayWritesFailFastReadsAreStaleAndAReconnectReadsEverything) {
  auto a = node("a");
  a->shared->start();
  ASSERT_TRUE(a->rec.upsert(shared_rule(80)).ok());
  etcd_.stop();
  ASSERT_TRUE(shared_eventually([&] { return a->shared->store_status(false).stale(); }));
  auto st = a->shared->store_status(false);
  EXPECT_FALSE(st.connected);
  EXPECT_NE(st.error.find(etcd_.endpoint()), std::string::npos) << st.error;

  const auto t0 = std::chrono::steady_clock::now();
  auto w = a->rec.upsert(shared_rule(81));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().code, ErrorCode::unavailable);  // 503
  EXPECT_NE(w.error().message.find(etcd_.endpoint()), std::string::npos) << w.error().message;
  EXPECT_FALSE(a->has(shared_rule(81)));
  EXPECT_TRUE(a->has(shared_rule(80))) << "forwarding goes on with what the node has";

  // Changes the node missed, their history compacted away while it was cut off.
  etcd_.put("/xlb/v1/rules/20.20.20.1:82:tcp", model::to_json(shared_rule(82)).dump());
  etcd_.remove("/xlb/v1/rules/20.20.20.1:80:tcp");
  etcd_.compact(etcd_.revision());
  etcd_.start();
  ASSERT_TRUE(
      shared_eventually([&] { return a->has(shared_rule(82)) && !a->has(shared_rule(80)); }));
  EXPECT_FALSE(a->shared->store_status(false).stale());
  // Nothing lost: writes work again.
  ASSERT_TRUE(a->rec.upsert(shared_rule(81)).ok());
  EXPECT_EQ(a->rules(), 2u);
}

TEST_F(SharedConfigTest, ANodeStartedWhileEtcdIsDownServesItsLocalCopy) {
  {
    auto a = node("a");
    a->shared->start();
    ASSERT_TRUE(a->rec.upsert(shared_rule(80)).ok());
  }
  etcd_.stop();
  auto again = node("a");  // restore() read the local copy
  EXPECT_TRUE(again->has(shared_rule(80)));
  EXPECT_EQ(again->dp.services().size(), 1u);
  auto synced = again->shared->sync();
  ASSERT_FALSE(synced.ok());
  EXPECT_EQ(synced.error().code, ErrorCode::unavailable);
  auto st = again->shared->store_status(false);
  EXPECT_TRUE(st.local_copy);
  EXPECT_TRUE(st.stale());
  etcd_.start();
  again->shared->start();
  ASSERT_TRUE(shared_eventually([&] { return !again->shared->store_status(false).stale(); }));
  EXPECT_FALSE(again->shared->store_status(false).local_copy);
  EXPECT_TRUE(again->has(shared_rule(80)));
}

TEST_F(SharedConfigTest, MembershipUnderALeaseRefusesALiveNodesName) {
  EtcdStore store(SharedNode::options(etcd_, dir_ / "m"));
  EtcdMembership a(store, "lb-a", 2s);
  ASSERT_TRUE(a.join().ok());
  EXPECT_TRUE(etcd_.get("/xlb/v1/nodes/lb-a"));

  EtcdMembership twin(store, "lb-a", 2s);
  auto refused = twin.join();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::conflict);
  EXPECT_EQ(refused.error().field, "node-name");
  EXPECT_EQ(refused.error().message.find('\n'), std::string::npos) << "one line";
  EXPECT_NE(refused.error().message.find(
                "node name \"lb-a\" is already registered in etcd by a live node"),
            std::string::npos)
      << refused.error().message;

  // A lost lease (etcd unreachable longer than its TTL): the node joins again by itself.
  a.start();
  etcd_.expire_leases();
  EXPECT_FALSE(etcd_.get("/xlb/v1/nodes/lb-a"));
  ASSERT_TRUE(shared_eventually([&] { return etcd_.get("/xlb/v1/nodes/lb-a").has_value(); }, 3s));

  a.set_refused(RefusedRevision{42, "too many rules (max 2)"});
  ASSERT_TRUE(shared_eventually([&] {
    auto nodes = a.nodes();
    return nodes.ok() && nodes->size() == 1 && (*nodes)[0].refused &&
           (*nodes)[0].refused->revision == 42;
  }));

  // Stopping revokes the lease: the name is free at once.
  a.stop();
  EXPECT_FALSE(etcd_.get("/xlb/v1/nodes/lb-a"));
  EXPECT_TRUE(twin.join().ok());
  twin.stop();
}

TEST_F(SharedConfigTest, ARestartedNodeRevokesItsOwnPreviousLease) {
  EtcdStore store(SharedNode::options(etcd_, dir_));
  const std::string lease_file = (dir_ / "lease").string();
  {
    // Killed (or stopped while etcd was unreachable): its lease outlives it.
    EtcdMembership before(store, "lb-a", 5s, lease_file);
    ASSERT_TRUE(before.join().ok());
    ASSERT_TRUE(std::filesystem::exists(lease_file));
    etcd_.stop();  // the stop cannot revoke
  }
  etcd_.start();
  ASSERT_TRUE(etcd_.get("/xlb/v1/nodes/lb-a")) << "the old lease still holds the name";
  // Another node of that name (not this state dir) is still refused...
  EtcdMembership stranger(store, "lb-a", 5s, (dir_ / "other-lease").string());
  EXPECT_EQ(stranger.join().error().code, ErrorCode::conflict);
  // ...while the same node, restarted, takes its name back at once.
  EtcdMembership after(store, "lb-a", 5s, lease_file);
  ASSERT_TRUE(after.join().ok());
  after.stop();
  EXPECT_FALSE(std::filesystem::exists(lease_file)) << "revoked at stop: nothing to remember";
}

}  // namespace
}  // namespace xlb
