// BpfDatapath with pinned maps: a restarted datapath re-adopts rules and flows from bpffs, and
// refuses pinned maps of another size with a clear error.
#include <bpf/bpf.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "fixture.h"

namespace xlbtest {
namespace {

class LoaderTest : public DatapathTest {
 protected:
  void SetUp() override {
    XLB_REQUIRE_ENV();
    char tmpl[] = "/tmp/xlb-dp-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    mount_point_ = tmpl;
    // Our own bpffs, in the test's private mount namespace: nothing outside sees it.
    ASSERT_EQ(mount("bpf", mount_point_.c_str(), "bpf", 0, "mode=0700"), 0)
        << "mount -t bpf on " << mount_point_;
    mounted_ = true;
    pin_dir_ = mount_point_ + "/xlb";
  }
  void TearDown() override {
    dp_.reset();
    if (mounted_) umount2(mount_point_.c_str(), MNT_DETACH);
    if (!mount_point_.empty()) rmdir(mount_point_.c_str());
  }
  xlb::Result<std::unique_ptr<xlb::BpfDatapath>> open(uint32_t ct_size, uint32_t ct_syn_size = 0) {
    xlb::BpfDatapathOptions opts;
    opts.pin_dir = pin_dir_;
    opts.ct_size = ct_size;
    opts.ct_syn_size = ct_syn_size;
    opts.max_services = 64;
    return xlb::BpfDatapath::open(opts);
  }
  void open_ok(uint32_t ct_size) {
    auto r = open(ct_size);
    ASSERT_TRUE(r.ok()) << "BpfDatapath::open(" << pin_dir_ << "): " << r.error().message;
    dp_ = std::move(*r);
    ASSERT_TRUE(dp_->register_interface(env().cli_ifindex, kLbCliMac.data()).ok());
    ASSERT_TRUE(dp_->register_interface(env().be_ifindex, kLbBeMac.data()).ok());
  }
  std::string mount_point_;
  std::string pin_dir_;
  bool mounted_ = false;
};

TEST_F(LoaderTest, RulesAndFlowsSurviveAReopenFromPinnedMaps) {
  Flow flow;
  auto eps = endpoints(3);
  ASSERT_NO_FATAL_FAILURE(open_ok(4096));
  install(flow.rule, make_svc(4, XLB_SEL_RR, eps));
  ASSERT_TRUE(Forwarded(from_client(flow.client_tcp(tcpf::SYN)),
                        flow.to_endpoint(flow.client_tcp(tcpf::SYN), eps[0])));
  EXPECT_TRUE(std::filesystem::exists(pin_dir_ + "/" XLB_MAP_CT));
  // The half-open flow lives in the syn map: the reopen below must adopt that map too.
  EXPECT_TRUE(std::filesystem::exists(pin_dir_ + "/" XLB_MAP_CT_SYN));
  dp_.reset();

  ASSERT_NO_FATAL_FAILURE(open_ok(4096));
  auto services = dp().list_services();
  ASSERT_TRUE(services.ok());
  ASSERT_EQ(services->size(), 1u);
  EXPECT_EQ(services->front().second.id, 4u);
  EXPECT_EQ(services->front().second.nr_endpoints, 3);
  EXPECT_TRUE(FlowTracked(dp(), flow, eps[0], 4, 0, XLB_CT_SYN_SENT));
  // The flow continues through the new program: same endpoint, next state.
  Bytes synack = flow.endpoint_tcp(eps[0], tcpf::SYN | tcpf::ACK);
  EXPECT_TRUE(Forwarded(from_backend(synack), flow.to_client(synack)));
  EXPECT_TRUE(FlowTracked(dp(), flow, eps[0], 4, 0, XLB_CT_SYN_RECV));
}

TEST_F(LoaderTest, ReopenWithAnotherCtSizeFailsClearly) {
  ASSERT_NO_FATAL_FAILURE(open_ok(4096));
  dp_.reset();
  auto r = open(8192);
  ASSERT_FALSE(r.ok()) << "pinned CT map of 4096 entries adopted by a datapath asking for 8192";
  EXPECT_NE(r.error().message.find("ct-size"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find(pin_dir_), std::string::npos) << r.error().message;
}

// An upgrade from a version whose conntrack or counters had another layout (other map names)
// does not leave those maps pinned, and allocated, forever.
TEST_F(LoaderTest, PinsOfRetiredMapsAreRemovedAtOpen) {
  ASSERT_NO_FATAL_FAILURE(open_ok(4096));
  dp_.reset();
  for (const char* name : {"xlb_ct_v1", "xlb_dp_stat_v1", "xlb_dp_stat_v2", "xlb_dp_stat_v3"}) {
    const int fd = bpf_map_create(BPF_MAP_TYPE_HASH, name, 4, 4, 16, nullptr);
    ASSERT_GE(fd, 0) << name;
    const std::string pin = pin_dir_ + "/" + name;
    ASSERT_EQ(bpf_obj_pin(fd, pin.c_str()), 0) << pin;
    close(fd);
  }
  ASSERT_NO_FATAL_FAILURE(open_ok(4096));
  EXPECT_FALSE(std::filesystem::exists(pin_dir_ + "/xlb_ct_v1"));
  EXPECT_FALSE(std::filesystem::exists(pin_dir_ + "/xlb_dp_stat_v1"));
  EXPECT_FALSE(std::filesystem::exists(pin_dir_ + "/xlb_dp_stat_v2"));
  EXPECT_FALSE(std::filesystem::exists(pin_dir_ + "/xlb_dp_stat_v3"));
  EXPECT_TRUE(std::filesystem::exists(pin_dir_ + "/" XLB_MAP_CT)) << "current pins stay";
  EXPECT_TRUE(std::filesystem::exists(pin_dir_ + "/" XLB_MAP_DP_STATS));
}

// xlbd --cleanup: no pinned map outlives it, the syn map included.
TEST_F(LoaderTest, CleanupRemovesBothConntrackPins) {
  ASSERT_NO_FATAL_FAILURE(open_ok(4096));
  dp_.reset();
  ASSERT_TRUE(std::filesystem::exists(pin_dir_ + "/" XLB_MAP_CT_SYN));
  auto r = xlb::BpfDatapath::cleanup(pin_dir_, {"lo"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(std::filesystem::exists(pin_dir_ + "/" XLB_MAP_CT));
  EXPECT_FALSE(std::filesystem::exists(pin_dir_ + "/" XLB_MAP_CT_SYN));
}

TEST_F(LoaderTest, ReopenWithAnotherCtSynSizeFailsClearly) {
  ASSERT_NO_FATAL_FAILURE(open_ok(4096));  // syn map: the default, 1024
  dp_.reset();
  auto r = open(4096, 2048);
  ASSERT_FALSE(r.ok()) << "pinned syn map of 1024 entries adopted by a datapath asking for 2048";
  EXPECT_NE(r.error().message.find("ct-syn-size"), std::string::npos) << r.error().message;
}

TEST_F(LoaderTest, CtSynSizeOutOfRangeIsRefusedBeforeAnythingIsPinned) {
  for (uint32_t bad : {512u, 8192u}) {  // below the minimum; above --ct-size
    auto r = open(4096, bad);
    ASSERT_FALSE(r.ok()) << "ct_syn_size " << bad << " accepted";
    EXPECT_EQ(r.error().field, "ct-syn-size") << r.error().message;
    EXPECT_NE(r.error().message.find("1024"), std::string::npos) << r.error().message;
  }
  EXPECT_FALSE(std::filesystem::exists(pin_dir_ + "/" XLB_MAP_CT));
  auto r = open(4096, 4096);  // the bounds themselves are fine
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)->ct_syn_capacity(), 4096u);
}

TEST_F(LoaderTest, DefaultCtSynSizeIsAQuarterOfCtSizeAtLeast1024) {
  xlb::BpfDatapathOptions o;
  o.ct_size = 1024;
  EXPECT_EQ(xlb::ct_syn_size_for(o), 1024u);
  o.ct_size = 1u << 20;
  EXPECT_EQ(xlb::ct_syn_size_for(o), 1u << 18);
  o.ct_syn_size = 5000;
  EXPECT_EQ(xlb::ct_syn_size_for(o), 5000u);
}

using UnpinnedTest = DatapathTest;

// pin_dir "" means no pinning: a default pin root would let tests and daemons share maps.
TEST_F(UnpinnedTest, EmptyPinDirPinsNothing) {
  std::vector<std::string> pinned;
  for (const auto& entry : std::filesystem::directory_iterator(kDefaultBpffs))
    if (entry.path().filename().string().starts_with("xlb"))  // not bpffs' own *.debug files
      pinned.push_back(entry.path().filename());
  EXPECT_TRUE(pinned.empty()) << "BpfDatapath::open({pin_dir=\"\"}) pinned "
                              << ::testing::PrintToString(pinned) << " in " << kDefaultBpffs;
}

}  // namespace
}  // namespace xlbtest
