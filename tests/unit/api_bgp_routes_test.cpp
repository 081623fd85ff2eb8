// /api/v1/bgp over loopback HTTP against a BgpController with a fake speaker: settings in and
// out with the field named on bad input and nothing changed, passwords never shown, neighbours'
// sessions, and a clear 409 when xlbd runs without BGP.
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <thread>

#include "api/routes.h"
#include "bgp/bgp_controller.h"
#include "bgp/fake/fake_bgp_speaker.h"
#include "cluster/fake/fake_peer_link.h"
#include "datapath/fake/fake_datapath.h"
#include "fake_status.h"
#include "mem_store.h"

namespace xlb::api {
namespace {

using nlohmann::json;

class SilentGarp final : public cluster::Announcer {
 public:
  void announce() override {}
  void cancel() override {}
};

class ApiBgpRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("xlb-api-bgp-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    bgp_ = std::make_unique<bgp::BgpController>(
        speaker_, bgp::BgpControllerOptions{.state_dir = dir_.string(), .inputs = [] {
                                              return bgp::AnnouncerInputs{{"10.0.0.100"}, false};
                                            }});
    ASSERT_TRUE(bgp_->start().ok());
    bgp_->sync_now();
  }
  void TearDown() override {
    if (server_) server_->stop();
    if (thread_.joinable()) thread_.join();
    bgp_.reset();
    std::filesystem::remove_all(dir_);
  }
  void serve(bgp::BgpController* bgp) {
    ctx_ = std::make_unique<ApiContext>(
        ApiContext{.reconciler = reconciler_, .status = status_, .ha = ha_, .bgp = bgp});
    server_ = std::make_unique<httplib::Server>();
    add_bgp_routes(*server_, *ctx_);
    port_ = server_->bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    while (!server_->is_running()) std::this_thread::yield();
  }
  std::pair<int, json> call(const std::string& method, const std::string& path,
                            const std::string& body = "") {
    httplib::Client client("127.0.0.1", port_);
    httplib::Result res = method == "GET"    ? client.Get(path)
                          : method == "POST" ? client.Post(path, body, "application/json")
                                             : client.Delete(path);
    if (!res) return {0, json()};
    return {res->status, json::parse(res->body, nullptr, false)};
  }

  std::filesystem::path dir_;
  bgp::FakeBgpSpeaker speaker_;
  std::unique_ptr<bgp::BgpController> bgp_;
  FakeStatus status_;
  MemStore store_;
  FakeDatapath dp_;
  Reconciler reconciler_{dp_, store_};
  cluster::FakePeerLink peers_;
  SilentGarp announcer_;
  cluster::HaController ha_{dp_, peers_, announcer_, {}};
  std::unique_ptr<ApiContext> ctx_;
  std::unique_ptr<httplib::Server> server_;
  int port_ = 0;
  std::thread thread_;
};

TEST_F(ApiBgpRoutesTest, GlobalIsSetShownWithItsRoutesAndDeleted) {
  serve(bgp_.get());
  EXPECT_EQ(call("GET", "/api/v1/bgp/global").first, 404);
  auto [bad, why] = call("POST", "/api/v1/bgp/global", R"({"local_as":0,"router_id":"10.0.1.11"})");
  EXPECT_EQ(bad, 400);
  EXPECT_EQ(why["error"]["field"], "local_as") << why;
  EXPECT_FALSE(speaker_.config.global.has_value()) << "nothing changed";

  EXPECT_EQ(
      call("POST", "/api/v1/bgp/global", R"({"local_as":65001,"router_id":"10.0.1.11"})").first,
      200);
  auto [code, global] = call("GET", "/api/v1/bgp/global");
  ASSERT_EQ(code, 200) << global;
  EXPECT_EQ(global["local_as"], 65001);
  EXPECT_EQ(global["router_id"], "10.0.1.11");
  EXPECT_EQ(global["announced"], json::parse(R"([{"prefix":"10.0.0.100/32","med":10}])"));
  EXPECT_EQ(call("DELETE", "/api/v1/bgp/global").first, 200);
  EXPECT_FALSE(speaker_.config.global.has_value());
}

TEST_F(ApiBgpRoutesTest, NeighboursAreAddedListedWithoutPasswordsAndDeleted) {
  serve(bgp_.get());
  auto [created, n] =
      call("POST", "/api/v1/bgp/neighbors",
           R"({"address":"10.0.1.1","remote_as":65000,"hold_time":3,"password":"s3cret"})");
  ASSERT_EQ(created, 201) << n;
  EXPECT_EQ(speaker_.config.neighbors.at(0).password, "s3cret");
  EXPECT_EQ(
      call("POST", "/api/v1/bgp/neighbors", R"({"address":"10.0.1.1","remote_as":65009})").first,
      409);
  auto [bad, why] = call("POST", "/api/v1/bgp/neighbors",
                         R"({"address":"10.0.1.2","remote_as":1,"hold_time":1})");
  EXPECT_EQ(bad, 400);
  EXPECT_EQ(why["error"]["field"], "hold_time") << why;

  speaker_.peer_states = {{"10.0.1.1", 65000, "Established", 7, 1}};
  ASSERT_TRUE(bgp_->set_global({65001, "10.0.1.11"}).ok());
  auto [code, listed] = call("GET", "/api/v1/bgp/neighbors");
  ASSERT_EQ(code, 200);
  EXPECT_EQ(listed.dump().find("s3cret"), std::string::npos) << listed;
  ASSERT_EQ(listed["count"], 1);
  const json& one = listed["neighbors"][0];
  EXPECT_EQ(one["state"], "Established");
  EXPECT_EQ(one["uptime_seconds"], 7);
  EXPECT_EQ(one["advertised"], 1);
  EXPECT_EQ(one["password_set"], true);
  EXPECT_EQ(one["hold_time"], 3);

  EXPECT_EQ(call("DELETE", "/api/v1/bgp/neighbors/10.0.1.9").first, 404);
  auto [badpath, msg] = call("DELETE", "/api/v1/bgp/neighbors/router1");
  EXPECT_EQ(badpath, 400);
  EXPECT_EQ(msg["error"]["field"], "address");
  EXPECT_EQ(call("DELETE", "/api/v1/bgp/neighbors/10.0.1.1").first, 200);
  EXPECT_TRUE(speaker_.config.neighbors.empty());
}

TEST_F(ApiBgpRoutesTest, WithoutBgpEveryRouteSaysHowToTurnItOn) {
  serve(nullptr);
  for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/api/v1/bgp/global"},
           {"POST", "/api/v1/bgp/global"},
           {"GET", "/api/v1/bgp/neighbors"},
           {"DELETE", "/api/v1/bgp/neighbors/10.0.1.1"}}) {
    auto [code, body] = call(method, path, "{}");
    EXPECT_EQ(code, 409) << method << " " << path;
    EXPECT_NE(body.dump().find("--bgp"), std::string::npos) << body;
  }
}

}  // namespace
}  // namespace xlb::api
