// Attaching with --attach=xdp|auto (BpfDatapath, xdp_attach.h) on real interfaces of the test
// namespace: XDP in the driver with TC behind it, refusal (one line naming the interface) where
// the driver has no native XDP, the per-interface fallback of auto, replacement in place by a
// restarted datapath, and removal of both programs by detach and cleanup. Veths have native
// XDP; a bridge has none.
#include "datapath/xdp_attach.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <unistd.h>

#include "datapath_pool.h"
#include "fixture.h"
#include "tc_hooks.h"

namespace xlbtest {
namespace {

constexpr const char* kXdpVeth = "xlbxv0";
constexpr const char* kXdpVethPeer = "xlbxv1";
constexpr const char* kNoXdpBridge = "xlbxbr0";

uint32_t xdp_prog_id(int ifindex) {
  uint32_t id = 0;
  bpf_xdp_query_id(ifindex, XDP_FLAGS_DRV_MODE, &id);
  return id;
}

class XdpAttachTest : public DatapathTest {
 protected:
  void SetUp() override {
    XLB_REQUIRE_ENV();
    ASSERT_EQ(run_shell(std::string("ip link add ") + kXdpVeth + " type veth peer name " +
                        kXdpVethPeer + " && ip link set " + kXdpVeth + " up && ip link set " +
                        kXdpVethPeer + " up && ip link add " + kNoXdpBridge +
                        " type bridge && ip link set " + kNoXdpBridge + " up"),
              "");
    veth_ = static_cast<int>(if_nametoindex(kXdpVeth));
    bridge_ = static_cast<int>(if_nametoindex(kNoXdpBridge));
    ASSERT_GT(veth_, 0);
    ASSERT_GT(bridge_, 0);
  }
  void TearDown() override {
    lent_.return_all();
    run_shell(std::string("ip link del ") + kXdpVeth + "; ip link del " + kNoXdpBridge);
  }
  // A datapath opened with `attach`, from the process's pool (datapath_pool.h: one load per
  // request kind, put back as new, nothing attached); owned by the test until TearDown.
  xlb::BpfDatapath* open_with(xlb::AttachRequest attach) {
    DatapathShape shape;
    shape.attach = attach;
    return lent_.borrow(shape);
  }
  // A datapath of its own, as a restarted xlbd opens (never one the pool lent before).
  static std::unique_ptr<xlb::BpfDatapath> open_fresh(xlb::AttachRequest attach) {
    xlb::BpfDatapathOptions opts;
    opts.pin_dir = "";
    opts.max_services = 64;
    opts.attach = attach;
    auto dp = xlb::BpfDatapath::open(opts);
    EXPECT_TRUE(dp.ok()) << dp.error().message;
    return dp.ok() ? std::move(*dp) : nullptr;
  }
  LentDatapaths lent_;
  static std::vector<xlb::Attachment> sorted(std::vector<xlb::Attachment> a) {
    std::sort(a.begin(), a.end(), [](auto& x, auto& y) { return x.ifname < y.ifname; });
    return a;
  }
  int veth_ = 0;
  int bridge_ = 0;
};

TEST_F(XdpAttachTest, XdpRunsInTheDriverWithTcBehindItAndDetachRemovesBoth) {
  auto* dp = open_with(xlb::AttachRequest::xdp);
  ASSERT_TRUE(dp);
  ASSERT_GE(dp->xdp_program_fd(), 0) << "xdp loads the XDP program";
  auto r = dp->attach(kXdpVeth);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(xlb::xdp_own_attached(veth_));
  EXPECT_TRUE(tc_program_present(veth_)) << "TC stays attached for what XDP passes";
  auto a = dp->attachments();
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].ifname, kXdpVeth);
  EXPECT_EQ(a[0].hook, xlb::AttachHook::xdp);

  ASSERT_TRUE(dp->detach(kXdpVeth).ok());
  EXPECT_EQ(xdp_prog_id(veth_), 0u);
  EXPECT_FALSE(tc_program_present(veth_));
  EXPECT_TRUE(dp->attachments().empty());
}

TEST_F(XdpAttachTest, XdpIsRefusedWhereTheDriverHasNoNativeXdpAndNothingIsLeft) {
  auto* dp = open_with(xlb::AttachRequest::xdp);
  ASSERT_TRUE(dp);
  auto r = dp->attach(kNoXdpBridge);
  ASSERT_FALSE(r.ok()) << "a bridge has no native XDP";
  EXPECT_EQ(r.error().field, "attach");
  EXPECT_NE(r.error().message.find(kNoXdpBridge), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("native XDP"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find('\n'), std::string::npos) << "one line";
  EXPECT_FALSE(tc_program_present(bridge_)) << "a refused interface keeps no TC program";
  EXPECT_TRUE(dp->attachments().empty());
}

TEST_F(XdpAttachTest, AutoTakesXdpWhereTheDriverHasItAndTcElsewhere) {
  auto* dp = open_with(xlb::AttachRequest::automatic);
  ASSERT_TRUE(dp);
  ASSERT_TRUE(dp->attach(kXdpVeth).ok());
  auto r = dp->attach(kNoXdpBridge);
  ASSERT_TRUE(r.ok()) << r.error().message;
  auto a = sorted(dp->attachments());
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].ifname, kNoXdpBridge);
  EXPECT_EQ(a[0].hook, xlb::AttachHook::tc);
  EXPECT_EQ(a[1].ifname, kXdpVeth);
  EXPECT_EQ(a[1].hook, xlb::AttachHook::xdp);
  EXPECT_TRUE(tc_program_present(bridge_));
  EXPECT_EQ(xdp_prog_id(bridge_), 0u);
  EXPECT_TRUE(xlb::xdp_own_attached(veth_));
  EXPECT_TRUE(tc_program_present(veth_));
}

TEST_F(XdpAttachTest, ARestartedDatapathReplacesItsOwnProgramInPlace) {
  auto first = open_fresh(xlb::AttachRequest::xdp);
  ASSERT_TRUE(first);
  ASSERT_TRUE(first->attach(kXdpVeth).ok());
  const uint32_t before = xdp_prog_id(veth_);
  ASSERT_NE(before, 0u);
  first.reset();  // the programs stay attached while xlbd restarts
  EXPECT_EQ(xdp_prog_id(veth_), before);

  auto* second = open_with(xlb::AttachRequest::xdp);
  ASSERT_TRUE(second);
  auto r = second->attach(kXdpVeth);
  ASSERT_TRUE(r.ok()) << r.error().message;
  const uint32_t after = xdp_prog_id(veth_);
  EXPECT_NE(after, 0u);
  EXPECT_NE(after, before) << "the new datapath's program replaced the old one";
  EXPECT_TRUE(xlb::xdp_own_attached(veth_));
}

TEST_F(XdpAttachTest, TcModeRemovesTheXdpProgramOfAnEarlierXdpRun) {
  auto xdp = open_fresh(xlb::AttachRequest::xdp);
  ASSERT_TRUE(xdp);
  ASSERT_TRUE(xdp->attach(kXdpVeth).ok());
  xdp.reset();
  auto* tc = open_with(xlb::AttachRequest::tc);
  ASSERT_TRUE(tc);
  EXPECT_LT(tc->xdp_program_fd(), 0) << "tc loads no XDP program";
  ASSERT_TRUE(tc->attach(kXdpVeth).ok());
  EXPECT_EQ(xdp_prog_id(veth_), 0u) << "a stale XDP program would run beside the new TC one";
  EXPECT_TRUE(tc_program_present(veth_));
  EXPECT_EQ(tc->attachments().at(0).hook, xlb::AttachHook::tc);
}

TEST_F(XdpAttachTest, AnotherXdpProgramOnTheInterfaceIsRefusedNotReplaced) {
  const bpf_insn pass[] = {
      {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, XDP_PASS},
      {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
  };
  const int foreign = bpf_prog_load(BPF_PROG_TYPE_XDP, "operators_xdp", "GPL", pass, 2, nullptr);
  ASSERT_GE(foreign, 0);
  ASSERT_EQ(bpf_xdp_attach(veth_, foreign, XDP_FLAGS_DRV_MODE, nullptr), 0);
  const uint32_t foreign_id = xdp_prog_id(veth_);

  auto* dp = open_with(xlb::AttachRequest::xdp);
  ASSERT_TRUE(dp);
  auto r = dp->attach(kXdpVeth);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("operators_xdp"), std::string::npos) << r.error().message;
  EXPECT_EQ(xdp_prog_id(veth_), foreign_id) << "the operator's program stays";
  // Neither detach nor cleanup removes a program that is not xlb's.
  ASSERT_TRUE(xlb::BpfDatapath::cleanup("", {kXdpVeth}).ok());
  EXPECT_EQ(xdp_prog_id(veth_), foreign_id);
  close(foreign);
}

TEST_F(XdpAttachTest, CleanupRemovesTheXdpProgramAndTheTcFilter) {
  auto dp = open_fresh(xlb::AttachRequest::xdp);
  ASSERT_TRUE(dp);
  ASSERT_TRUE(dp->attach(kXdpVeth).ok());
  dp.reset();
  auto r = xlb::BpfDatapath::cleanup("", {kXdpVeth});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(xdp_prog_id(veth_), 0u);
  EXPECT_FALSE(tc_program_present(veth_));
}

}  // namespace
}  // namespace xlbtest
