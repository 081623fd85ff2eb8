// HA through a real xlbd: --cluster refuses to start without a private key file; set ha and
// get ha through xlbctl; the state is in the datapath, so a restarted xlbd keeps it (its peer
// and keepalived never see this node answer ARP again in between).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "harness.h"

namespace xlb::test {
namespace {

using nlohmann::json;

std::string write_key(const TempDir& dir, mode_t mode) {
  const std::string path = dir.path() + "/cluster.key";
  std::ofstream(path) << "0123456789abcdef0123456789abcdef\n";
  ::chmod(path.c_str(), mode);
  return path;
}

class HaStartup : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = skip_reason()) GTEST_SKIP() << *why;
    netns_ = std::make_unique<NetnsGuard>();
  }
  std::unique_ptr<NetnsGuard> netns_;
  TempDir state_{"xlbd-state"};
  PinDir pins_;
};

TEST_F(HaStartup, ClusterNeedsAKeyFile) {
  auto r = run_xlbd(xlbd_args(state_.path(), pins_.path(), {"--cluster=10.99.0.2"}));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--cluster needs --cluster-key-file"), std::string::npos) << r.err;
}

TEST_F(HaStartup, TheKeyFileMustBePrivate) {
  TempDir keys("xlb-keys");
  const std::string key = write_key(keys, 0644);
  auto r =
      run_xlbd(xlbd_args(state_.path(), pins_.path(),
                         {"--interfaces=v0", "--cluster=10.99.0.2", "--cluster-key-file=" + key}));
  expect_startup_failure(r, {"--cluster-key-file", "chmod 0600"});
}

TEST_F(HaStartup, ClusterAddressesMustBeIpv4) {
  auto r = run_xlbd(xlbd_args(state_.path(), pins_.path(), {"--cluster=peer.example"}));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--cluster takes IPv4 addresses"), std::string::npos) << r.err;
}

class Ha : public ApiTest {
 protected:
  std::vector<std::string> daemon_args() const override {
    return {"--interfaces=v0", "--cluster=10.99.0.2", "--self=1", "--cluster-key-file=" + key_};
  }
  TempDir keys_{"xlb-keys"};
  std::string key_ = write_key(keys_, 0600);
};

TEST_F(Ha, SetAndGetThroughXlbctl) {
  auto before = xlbctl({"get", "hastate"});
  ASSERT_EQ(before.exit_code, 0) << before.err;
  EXPECT_NE(before.out.find("| default  | NOT_DEFINED |"), std::string::npos) << before.out;

  auto set = xlbctl({"set", "ha", "default", "--state=backup"});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  EXPECT_EQ(set.out, "ha default BACKUP\n");
  auto wide = xlbctl({"get", "ha", "-o", "wide"});
  ASSERT_EQ(wide.exit_code, 0) << wide.err;
  EXPECT_NE(wide.out.find("BACKUP"), std::string::npos) << wide.out;
  EXPECT_NE(wide.out.find("10.99.0.2"), std::string::npos) << wide.out;
  EXPECT_NE(wide.out.find("| no ("), std::string::npos) << "the peer is unreachable\n" << wide.out;

  auto ready = xlbctl({"get", "ha", "default", "--ready"});
  EXPECT_EQ(ready.exit_code, 0) << ready.err;
  EXPECT_EQ(ready.out, "default: ready\n");

  auto bad = xlbctl({"set", "ha", "shard-9", "--state=MASTER"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("HA instance \"shard-9\" does not exist"), std::string::npos) << bad.err;

  auto api = body_json(api_client().Get("/api/v1/ha"));
  EXPECT_EQ(api["self"], 1);
  EXPECT_EQ(api["cluster"], true);
  EXPECT_EQ(api["instances"][0]["state"], "BACKUP");
}

TEST_F(Ha, ARestartKeepsTheState) {
  ASSERT_EQ(xlbctl({"set", "ha", "default", "--state=FAULT"}).exit_code, 0);
  std::string error;
  ASSERT_TRUE(daemon().restart(&error)) << error;
  auto api = body_json(api_client().Get("/api/v1/ha"));
  EXPECT_EQ(api["instances"][0]["state"], "FAULT") << api;
  EXPECT_EQ(api["instances"][0]["decided"], true);
  EXPECT_EQ(api["instances"][0]["transitions"], 0) << "adopted, not a transition";
}

}  // namespace
}  // namespace xlb::test
