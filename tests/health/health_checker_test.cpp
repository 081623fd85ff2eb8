// The checker end to end on loopback: transitions, callbacks, snapshot, changes, removal, scale.
#include "health/health_checker.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <map>
#include <mutex>
#include <thread>

#include "test_servers.h"

namespace xlb::health {
namespace {

using namespace std::chrono_literals;
using testing::local_spec;
using testing::TcpListener;
using testing::unused_port;
using testing::wait_until;

struct Seen {
  std::string id;
  TargetState from;
  TargetState to;
  std::string reason;
  std::thread::id thread;
  TargetState state_in_snapshot;  // what get() said from inside the callback
};

class CheckerTest : public ::testing::Test {
 protected:
  void start(UniformSource uniform = default_uniform_source()) {
    HealthChecker::Options options;
    options.uniform = std::move(uniform);
    options.on_transition = [this](const std::string& id, TargetState from, TargetState to,
                                   const std::string& reason) {
      auto now = checker_->get(id);  // the callback may call back into the checker
      std::lock_guard lock(mu_);
      seen_.push_back({id, from, to, reason, std::this_thread::get_id(),
                       now ? now->health.state : TargetState::unknown});
    };
    auto checker = HealthChecker::start(std::move(options));
    ASSERT_TRUE(checker);
    checker_ = std::move(*checker);
  }
  void SetUp() override { start(); }

  // A tcp probe every 0.1 s: 2 to go up, 2 to go down.
  static ProbeSpec fast_tcp(uint16_t port) {
    ProbeSpec spec = local_spec(ProbeType::tcp, port, 0.05);
    spec.period_s = 0.1;
    return spec;
  }
  std::vector<Seen> seen() {
    std::lock_guard lock(mu_);
    return seen_;
  }
  size_t count(const std::string& id, TargetState to) {
    std::lock_guard lock(mu_);
    return std::count_if(seen_.begin(), seen_.end(),
                         [&](const Seen& s) { return s.id == id && s.to == to; });
  }
  size_t count_if_ok() {
    auto all = checker_->snapshot();
    return std::count_if(all.begin(), all.end(),
                         [](const TargetHealth& t) { return t.health.state == TargetState::ok; });
  }
  TargetState state(const std::string& id) {
    auto t = checker_->get(id);
    return t ? t->health.state : TargetState::unknown;
  }

  std::mutex mu_;
  std::vector<Seen> seen_;
  std::unique_ptr<HealthChecker> checker_;  // after seen_: stopped before it goes
};

TEST_F(CheckerTest, GoesOkDownAndOkAgainWithOneCallbackPerTransition) {
  auto server = std::make_unique<TcpListener>();
  uint16_t port = server->port();
  ASSERT_TRUE(checker_->upsert("a", fast_tcp(port)));
  EXPECT_EQ(state("a"), TargetState::unknown);
  ASSERT_TRUE(wait_until([&] { return count("a", TargetState::ok) == 1; }));

  server.reset();
  auto stopped = std::chrono::steady_clock::now();
  ASSERT_TRUE(wait_until([&] { return count("a", TargetState::down) == 1; }));
  // Detected within period × retries + one period (0.1 s × 1.1 jitter), plus scheduling slack.
  EXPECT_LT(std::chrono::steady_clock::now() - stopped, 800ms);

  server = std::make_unique<TcpListener>(port);
  ASSERT_TRUE(wait_until([&] { return count("a", TargetState::ok) == 2; }));
  std::this_thread::sleep_for(400ms);  // a few more periods: nothing may repeat

  auto all = seen();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].from, TargetState::unknown);
  EXPECT_EQ(all[0].to, TargetState::ok);
  EXPECT_EQ(all[0].reason, "2 consecutive successful probes");
  EXPECT_EQ(all[1].from, TargetState::ok);
  EXPECT_EQ(all[1].to, TargetState::down);
  EXPECT_EQ(all[1].reason, "connection refused");
  EXPECT_EQ(all[2].from, TargetState::down);
  EXPECT_EQ(all[2].to, TargetState::ok);
  for (const Seen& s : all) {
    EXPECT_NE(s.thread, std::this_thread::get_id());  // the checker's loop thread
    EXPECT_EQ(s.thread, all[0].thread);
    EXPECT_EQ(s.state_in_snapshot, s.to);  // state is updated before the callback runs
  }
}

TEST_F(CheckerTest, SnapshotCarriesSpecLatencyLastErrorAndTransitionTime) {
  ProbeSpec spec = fast_tcp(unused_port(SOCK_STREAM));
  auto before = std::chrono::system_clock::now();
  ASSERT_TRUE(checker_->upsert("refused", spec));
  ASSERT_TRUE(wait_until([&] { return state("refused") == TargetState::down; }));
  TcpListener server;
  ASSERT_TRUE(checker_->upsert("listening", fast_tcp(server.port())));
  ASSERT_TRUE(wait_until([&] { return state("listening") == TargetState::ok; }));

  auto all = checker_->snapshot();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, "listening");  // sorted by id
  EXPECT_TRUE(all[0].health.latency.stats());
  EXPECT_GE(all[0].health.successes, 2);
  const TargetHealth& down = all[1];
  EXPECT_EQ(down.spec, spec);
  EXPECT_EQ(down.health.last_error, "connection refused");
  EXPECT_GE(down.health.failures, 2);
  EXPECT_GE(down.health.probes, 2u);
  EXPECT_FALSE(down.health.latency.stats());
  EXPECT_GE(down.health.last_transition, before);
}

TEST_F(CheckerTest, TypeNoneIsOkWithoutProbing) {
  ASSERT_TRUE(checker_->upsert("n", ProbeSpec{}));
  ASSERT_TRUE(wait_until([&] { return count("n", TargetState::ok) == 1; }, 1s));
  EXPECT_EQ(seen()[0].reason, "no probe configured");
  EXPECT_EQ(checker_->get("n")->health.probes, 0u);
}

TEST_F(CheckerTest, RefusesAnInvalidSpec) {
  ProbeSpec spec = fast_tcp(80);
  spec.period_s = 0;
  auto r = checker_->upsert("bad", spec);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field, "probe.period");
  EXPECT_EQ(checker_->size(), 0u);
}

TEST_F(CheckerTest, RemovedTargetsAreNoLongerProbedOrReported) {
  TcpListener server;
  ASSERT_TRUE(checker_->upsert("a", fast_tcp(server.port())));
  ASSERT_TRUE(wait_until([&] { return state("a") == TargetState::ok; }));
  EXPECT_TRUE(checker_->remove("a"));
  EXPECT_FALSE(checker_->remove("a"));
  EXPECT_FALSE(checker_->get("a"));
  EXPECT_EQ(checker_->size(), 0u);
  std::this_thread::sleep_for(100ms);  // a probe already in flight may still land
  int connections = server.accepted();
  std::this_thread::sleep_for(400ms);  // ~4 periods
  EXPECT_EQ(server.accepted(), connections);
  EXPECT_EQ(seen().size(), 1u);
}

TEST_F(CheckerTest, AChangedProbeKeepsTheStateAndCountsAfresh) {
  TcpListener server;
  ProbeSpec spec = fast_tcp(server.port());
  ASSERT_TRUE(checker_->upsert("a", spec));
  ASSERT_TRUE(wait_until([&] { return checker_->get("a")->health.successes >= 3; }));
  ASSERT_TRUE(checker_->upsert("a", spec));  // identical: nothing restarts
  EXPECT_GE(checker_->get("a")->health.successes, 3);

  spec.port = unused_port(SOCK_STREAM);
  ASSERT_TRUE(checker_->upsert("a", spec));
  auto changed = checker_->get("a");
  EXPECT_EQ(changed->health.state, TargetState::ok);
  EXPECT_EQ(changed->health.successes, 0);
  EXPECT_FALSE(changed->health.latency.stats());
  ASSERT_TRUE(wait_until([&] { return count("a", TargetState::down) == 1; }));
  EXPECT_EQ(seen().back().reason, "connection refused");
}

TEST_F(CheckerTest, FirstProbeWaitsForTheJitteredOffset) {
  checker_.reset();
  start([] { return 0.9; });  // first probe at 90% of the period
  TcpListener server;
  ProbeSpec spec = fast_tcp(server.port());
  spec.period_s = 1;
  spec.rise = 1;
  ASSERT_TRUE(checker_->upsert("late", spec));
  std::this_thread::sleep_for(600ms);
  EXPECT_EQ(checker_->get("late")->health.probes, 0u);
  ASSERT_TRUE(wait_until([&] { return state("late") == TargetState::ok; }, 1s));
}

size_t thread_count() {
  size_t n = 0;
  DIR* dir = ::opendir("/proc/self/task");
  while (dirent* e = ::readdir(dir)) n += e->d_name[0] != '.';
  ::closedir(dir);
  return n;
}

TEST_F(CheckerTest, HundredsOfTargetsShareTheOneLoopThread) {
  std::vector<std::unique_ptr<TcpListener>> servers;
  for (int i = 0; i < 10; ++i) servers.push_back(std::make_unique<TcpListener>());
  size_t threads = thread_count();
  constexpr int kTargets = 500;
  for (int i = 0; i < kTargets; ++i) {
    ProbeSpec spec = fast_tcp(servers[i % servers.size()]->port());
    spec.period_s = 0.2;
    spec.timeout_s = 0.2;
    ASSERT_TRUE(checker_->upsert("t" + std::to_string(i), spec));
  }
  ASSERT_TRUE(wait_until([&] { return count_if_ok() == kTargets; }, 5s)) << count_if_ok();
  EXPECT_EQ(thread_count(), threads);
  auto all = seen();
  for (const Seen& s : all) EXPECT_EQ(s.thread, all[0].thread);
}

// on_probe_result (the /metrics latency histogram's feed) sees every finished probe: answered
// ones with their round trip, refused ones without.
TEST(CheckerProbeResults, ObserverSeesEveryProbeWithItsRoundTrip) {
  std::mutex mu;
  std::map<std::string, std::vector<ProbeResult>> results;
  HealthChecker::Options options;
  options.on_probe_result = [&](const std::string& id, const ProbeResult& r) {
    std::lock_guard lock(mu);
    results[id].push_back(r);
  };
  auto started = HealthChecker::start(std::move(options));
  ASSERT_TRUE(started);
  std::unique_ptr<HealthChecker> checker = std::move(*started);
  TcpListener server;
  ProbeSpec up = local_spec(ProbeType::tcp, server.port(), 0.05);
  ProbeSpec refused = local_spec(ProbeType::tcp, unused_port(SOCK_STREAM), 0.05);
  up.period_s = refused.period_s = 0.1;
  ASSERT_TRUE(checker->upsert("up", up));
  ASSERT_TRUE(checker->upsert("refused", refused));
  auto enough = [&] {
    std::lock_guard lock(mu);
    return results["up"].size() >= 3 && results["refused"].size() >= 3;
  };
  EXPECT_TRUE(wait_until(enough));
  checker.reset();  // no callback after this
  for (const ProbeResult& r : results["up"]) {
    EXPECT_TRUE(r.up);
    EXPECT_TRUE(r.latency.has_value());
  }
  for (const ProbeResult& r : results["refused"]) {
    EXPECT_FALSE(r.up);
    EXPECT_FALSE(r.latency.has_value());
  }
}

}  // namespace
}  // namespace xlb::health
