// xlbd's life cycle: start-up failures are one sentence and exit 1, interface discovery
// follows netlink, SIGINT stops cleanly, --cleanup detaches and unpins.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "harness.h"

namespace xlb::test {
namespace {

using nlohmann::json;

ProcessResult xlbd(const std::vector<std::string>& args) { return run_xlbd(args); }

class Daemon : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = skip_reason()) GTEST_SKIP() << *why;
    netns_ = std::make_unique<NetnsGuard>();
  }
  void TearDown() override {
    running_.reset();
    netns_.reset();
  }
  std::vector<std::string> args(const std::vector<std::string>& extra = {}) {
    return xlbd_args(state_.path(), pins_.path(), extra);
  }
  void start(const std::vector<std::string>& extra) {
    std::string error;
    running_ = Xlbd::start(args(extra), &error);
    ASSERT_TRUE(running_) << error;
  }
  json interfaces() { return body_json(api_client().Get("/healthz"))["interfaces"]; }

  std::unique_ptr<NetnsGuard> netns_;
  TempDir state_{"xlbd-state"};
  PinDir pins_;
  std::unique_ptr<Xlbd> running_;
};

TEST_F(Daemon, MissingInterfaceIsOneSentence) {
  auto r = xlbd(args({"--interfaces=v0,nope0"}));
  expect_startup_failure(r, {"nope0", "--interfaces"});
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST_F(Daemon, StateDirThatIsAFileIsRefused) {
  const std::string file = state_.path() + "/file";
  std::ofstream(file) << "x";
  auto r = xlbd(xlbd_args(file, pins_.path(), {"--interfaces=v0"}));
  expect_startup_failure(r, {file, "--state-dir"});
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST_F(Daemon, ApiPortInUseIsOneSentence) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(kApiPort);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  auto r = xlbd(args({"--interfaces=v0"}));
  ::close(fd);
  expect_startup_failure(r, {"127.0.0.1:11111", "already in use", "--api"});
}

TEST_F(Daemon, BadOptionsAreRefused) {
  auto api = xlbd(args({"--api=localhost"}));
  EXPECT_NE(api.exit_code, 0);
  EXPECT_NE(api.err.find("--api"), std::string::npos) << api.err;
  auto level = xlbd(args({"--log-level=loud"}));
  EXPECT_NE(level.exit_code, 0);
  EXPECT_NE(level.err.find("--log-level"), std::string::npos) << level.err;
}

TEST_F(Daemon, BadAttachIsOneLineNamingTheChoices) {
  auto r = xlbd(args({"--interfaces=v0", "--attach=fast"}));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--attach must be tc, xdp or auto"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST_F(Daemon, BadTcAttachIsOneLineNamingTheChoices) {
  auto r = xlbd(args({"--interfaces=v0", "--tc-attach=tcp"}));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--tc-attach must be auto, tcx or clsact, got"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

// This kernel (>= 6.6) has tcx: the default (--tc-attach=auto) takes it.
TEST_F(Daemon, StatsNameTheHookOfEachInterface) {
  start({"--interfaces=v0,v1"});  // the defaults: --attach=tc --tc-attach=auto
  const json stats = body_json(api_client().Get("/api/v1/stats"));
  EXPECT_EQ(stats["attach"], json::parse(R"({"requested": "tc", "interfaces": [
                               {"name": "v0", "hook": "tc", "tc_attach": "tcx"},
                               {"name": "v1", "hook": "tc", "tc_attach": "tcx"}]})"))
      << stats.dump();
}

TEST_F(Daemon, TcAttachClsactIsHonouredAndShown) {
  start({"--interfaces=v0", "--tc-attach=clsact"});
  const json stats = body_json(api_client().Get("/api/v1/stats"));
  EXPECT_EQ(stats["attach"], json::parse(R"({"requested": "tc", "interfaces": [
                               {"name": "v0", "hook": "tc", "tc_attach": "clsact"}]})"))
      << stats.dump();
}

// The codes of diagnose's findings for a VIP (any: the attach findings are not per rule).
std::set<std::string> finding_codes(const json& report) {
  std::set<std::string> codes;
  for (const auto& f : report["findings"]) codes.insert(f["code"].get<std::string>());
  return codes;
}

TEST_F(Daemon, XdpOnAVethIsReportedAndItsPeerDiagnosed) {
  start({"--interfaces=v0", "--attach=xdp"});
  auto http = api_client();
  const json stats = body_json(http.Get("/api/v1/stats"));
  EXPECT_EQ(stats["attach"], json::parse(R"({"requested": "xdp", "interfaces": [
                               {"name": "v0", "hook": "xdp", "tc_attach": "tcx"}]})"))
      << stats.dump();
  auto metrics = http.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find(R"(xlb_interface_hook_info{hook="xdp",interface="v0"} 1)"),
            std::string::npos)
      << metrics->body;

  // A fresh veth: its peer v1 has GRO off and TX checksum offload on.
  auto codes = finding_codes(body_json(http.Get("/api/v1/diagnose?vip=10.0.0.100")));
  EXPECT_TRUE(codes.contains("attach_hooks"));
  EXPECT_TRUE(codes.contains("veth_peer_no_napi"));
  EXPECT_TRUE(codes.contains("veth_peer_tx_csum"));
  // GRO gives the peer NAPI for redirected frames, not for XDP_TX; a generic-mode program
  // gives it none: only a driver-mode XDP program on the peer settles both.
  must_run({"ethtool", "-K", "v1", "gro", "on", "tx", "off"});
  must_run(
      {"ip", "link", "set", "dev", "v1", "xdpgeneric", "obj", XLB_XDP_PASS_OBJECT, "sec", "xdp"});
  codes = finding_codes(body_json(http.Get("/api/v1/diagnose?vip=10.0.0.100")));
  EXPECT_TRUE(codes.contains("attach_hooks"));
  EXPECT_FALSE(codes.contains("veth_peer_no_napi"));
  EXPECT_TRUE(codes.contains("veth_peer_no_xdp"));
  EXPECT_FALSE(codes.contains("veth_peer_tx_csum"));
  must_run({"ip", "link", "set", "dev", "v1", "xdpgeneric", "off"});
  must_run({"ip", "link", "set", "dev", "v1", "xdpdrv", "obj", XLB_XDP_PASS_OBJECT, "sec", "xdp"});
  codes = finding_codes(body_json(http.Get("/api/v1/diagnose?vip=10.0.0.100")));
  EXPECT_TRUE(codes.contains("attach_hooks"));
  EXPECT_FALSE(codes.contains("veth_peer_no_napi"));
  EXPECT_FALSE(codes.contains("veth_peer_no_xdp"));
  EXPECT_FALSE(codes.contains("veth_peer_tx_csum"));
}

// A bridge has no native XDP: --attach=xdp refuses the start in one line naming it, auto falls
// back to tc there and says so in the stats.
TEST_F(Daemon, XdpRefusedWhereTheDriverLacksItAndAutoFallsBackToTc) {
  must_run({"ip", "link", "add", "br0", "type", "bridge"});
  must_run({"ip", "link", "set", "br0", "up"});
  auto r = xlbd(args({"--interfaces=br0", "--attach=xdp"}));
  expect_startup_failure(r, {"br0", "native XDP", "--attach=auto"});

  start({"--interfaces=br0,v0", "--attach=auto"});
  const json stats = body_json(api_client().Get("/api/v1/stats"));
  EXPECT_EQ(stats["attach"], json::parse(R"({"requested": "auto", "interfaces": [
                               {"name": "br0", "hook": "tc", "tc_attach": "tcx"},
                               {"name": "v0", "hook": "xdp", "tc_attach": "tcx"}]})"))
      << stats.dump();
}

TEST_F(Daemon, DiscoversInterfacesAsTheyAppear) {
  start({});
  EXPECT_EQ(interfaces(), json::array({"v0", "v1"}));
  must_run({"ip", "link", "add", "v2", "type", "veth", "peer", "name", "v3"});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (interfaces().size() < 4 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(interfaces(), json::array({"v0", "v1", "v2", "v3"}));
  // Attached through tcx (this kernel has it): the link is pinned beside the maps. bpftool 7.1
  // predates tcx and shows it as type 11 with its program.
  const std::string pin = pins_.path() + "/tcx_ingress_v2";
  auto link = run({"bpftool", "link", "show", "pinned", pin});
  EXPECT_NE(link.out.find("type 11"), std::string::npos) << link.out << link.err;
  EXPECT_NE(link.out.find("prog"), std::string::npos) << link.out << link.err;

  must_run({"ip", "link", "del", "v2"});  // takes v3 with it
  // The pin goes right after the interface leaves the list (detach follows it).
  while ((interfaces().size() > 2 || std::filesystem::exists(pin)) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(interfaces(), json::array({"v0", "v1"}));
  EXPECT_FALSE(std::filesystem::exists(pin)) << "the pin of a link whose interface is gone";
}

TEST_F(Daemon, SigintStopsCleanly) {
  start({"--interfaces=v0"});
  ::kill(running_->pid(), SIGINT);
  // terminate() sends SIGTERM too; xlbd must already be on its way out either way.
  EXPECT_EQ(running_->terminate(), 0) << running_->log();
}

TEST_F(Daemon, CleanupDetachesAndUnpins) {
  start({"--interfaces=v0"});
  ASSERT_EQ(running_->terminate(), 0) << running_->log();
  ASSERT_TRUE(std::filesystem::exists(pins_.path() + "/xlb_svc_v1"));
  // "<id>: type 11  prog <id>": the tcx link that outlived xlbd.
  auto link = run({"bpftool", "link", "show", "pinned", pins_.path() + "/tcx_ingress_v0"});
  const std::string link_id = link.out.substr(0, link.out.find(':'));
  ASSERT_NE(link.out.find("type 11"), std::string::npos) << link.out << link.err;

  auto r = xlbd(args({"--cleanup"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(std::filesystem::exists(pins_.path() + "/xlb_svc_v1"));
  EXPECT_NE(run({"bpftool", "link", "show", "id", link_id}).exit_code, 0) << "the tcx link is gone";
  auto filters = run({"tc", "filter", "show", "dev", "v0", "ingress"});
  EXPECT_EQ(filters.out.find("bpf"), std::string::npos) << filters.out;
}

}  // namespace
}  // namespace xlb::test
