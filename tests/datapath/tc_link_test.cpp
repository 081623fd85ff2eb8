// How the TC program is attached (xlbd --tc-attach; tcx_link.h, BpfDatapath::attach_tc) on a
// real veth of the test namespace: a tcx link by default on this kernel (>= 6.6) that replaces
// the clsact filter an older xlb left, a clsact filter on request; and the pinned link itself:
// it outlives its fd, a later attach swaps the program in the same link, detach removes it and
// its pin, and a link whose interface went away is replaced.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <net/if.h>
#include <unistd.h>

#include <filesystem>

#include "datapath/bpffs.h"
#include "datapath_pool.h"
#include "fixture.h"
#include "tc_hooks.h"

namespace xlbtest {
namespace {

constexpr const char* kTcxVeth = "xlbtx0";
constexpr const char* kTcxVethPeer = "xlbtx1";

uint32_t prog_id_of(int prog_fd) {
  bpf_prog_info info{};
  uint32_t len = sizeof info;
  return bpf_obj_get_info_by_fd(prog_fd, &info, &len) == 0 ? info.id : 0;
}

uint32_t link_id_of(int link_fd) {
  bpf_link_info info{};
  uint32_t len = sizeof info;
  return bpf_obj_get_info_by_fd(link_fd, &info, &len) == 0 ? info.id : 0;
}

class TcLinkTest : public DatapathTest {
 protected:
  void SetUp() override {
    XLB_REQUIRE_ENV();
    ASSERT_EQ(make_veth(), "");
    pin_dir_ = "/sys/fs/bpf/xlbtest-tcx-" + std::to_string(getpid());
    auto made = xlb::ensure_bpffs_dir(pin_dir_);
    ASSERT_TRUE(made.ok()) << made.error().message;
  }
  void TearDown() override {
    lent_.return_all();
    run_shell(std::string("ip link del ") + kTcxVeth);
    (void)xlb::remove_pins(pin_dir_);
  }
  static std::string make_veth() {
    return run_shell(std::string("ip link add ") + kTcxVeth + " type veth peer name " +
                     kTcxVethPeer + " && ip link set " + kTcxVeth + " up");
  }
  static int veth() { return static_cast<int>(if_nametoindex(kTcxVeth)); }
  xlb::BpfDatapath* open_with(xlb::TcLinkRequest tc_link) {
    DatapathShape shape;
    shape.tc_link = tc_link;
    return lent_.borrow(shape);
  }
  LentDatapaths lent_;
  std::string pin_dir_;
};

TEST_F(TcLinkTest, DefaultAttachesThroughTcxAndRemovesAnOlderClsactFilter) {
  auto* dp = open_with(xlb::TcLinkRequest::automatic);
  ASSERT_TRUE(dp);
  // What an older xlb left: its filter on clsact.
  ASSERT_TRUE(xlb::tc_attach_ingress(veth(), kTcxVeth, dp->program_fd(), xlb::kTcHandleLb).ok());
  ASSERT_TRUE(clsact_filter_present(veth()));

  auto r = dp->attach(kTcxVeth);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(tcx_prog_ids(veth()), std::vector<uint32_t>{prog_id_of(dp->program_fd())});
  EXPECT_FALSE(clsact_filter_present(veth())) << "it would run after the link";
  ASSERT_EQ(dp->attachments().size(), 1u);
  EXPECT_EQ(dp->attachments()[0].tc_link, xlb::TcLink::tcx);

  ASSERT_TRUE(dp->detach(kTcxVeth).ok());
  EXPECT_TRUE(tcx_prog_ids(veth()).empty());
  EXPECT_FALSE(clsact_filter_present(veth()));
}

TEST_F(TcLinkTest, ClsactOnRequestAttachesAFilterAndNoLink) {
  auto* dp = open_with(xlb::TcLinkRequest::clsact);
  ASSERT_TRUE(dp);
  auto r = dp->attach(kTcxVeth);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(clsact_filter_present(veth()));
  EXPECT_TRUE(tcx_prog_ids(veth()).empty());
  ASSERT_EQ(dp->attachments().size(), 1u);
  EXPECT_EQ(dp->attachments()[0].tc_link, xlb::TcLink::clsact);
}

// A second TC program (TC_ACT_UNSPEC), to tell a swap in the link from the first one.
int load_other_tc_program() {
  const bpf_insn unspec[] = {
      {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, -1},
      {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
  };
  return bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "other_tc", "GPL", unspec, 2, nullptr);
}

TEST_F(TcLinkTest, APinnedLinkOutlivesItsFdAndTheNextAttachSwapsItsProgramInPlace) {
  auto* dp = open_with(xlb::TcLinkRequest::automatic);
  ASSERT_TRUE(dp);
  const int other = load_other_tc_program();
  ASSERT_GE(other, 0);
  const std::string pin = xlb::tcx_pin_path(pin_dir_, kTcxVeth);

  int link = -1;
  auto first = xlb::tcx_attach_ingress(veth(), kTcxVeth, other, pin, &link);
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_EQ(*first, xlb::TcxAttachOutcome::attached);
  const uint32_t link_id = link_id_of(link);
  close(link);  // as xlbd exits
  EXPECT_EQ(tcx_prog_ids(veth()), std::vector<uint32_t>{prog_id_of(other)});

  link = -1;  // as a restarted xlbd: nothing held, the pin found
  auto second = xlb::tcx_attach_ingress(veth(), kTcxVeth, dp->program_fd(), pin, &link);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(link_id_of(link), link_id) << "the same link, updated";
  EXPECT_EQ(tcx_prog_ids(veth()), std::vector<uint32_t>{prog_id_of(dp->program_fd())});

  ASSERT_TRUE(xlb::tcx_detach(-1, pin, kTcxVeth).ok());
  EXPECT_TRUE(tcx_prog_ids(veth()).empty());
  EXPECT_FALSE(std::filesystem::exists(pin));
  close(link);
  close(other);
}

TEST_F(TcLinkTest, ALinkWhoseInterfaceWentAwayIsReplaced) {
  auto* dp = open_with(xlb::TcLinkRequest::automatic);
  ASSERT_TRUE(dp);
  const std::string pin = xlb::tcx_pin_path(pin_dir_, kTcxVeth);
  int link = -1;
  ASSERT_TRUE(xlb::tcx_attach_ingress(veth(), kTcxVeth, dp->program_fd(), pin, &link).ok());
  const uint32_t old_id = link_id_of(link);
  close(link);
  // The interface is deleted and made again under the same name: the pinned link is defunct.
  ASSERT_EQ(run_shell(std::string("ip link del ") + kTcxVeth), "");
  ASSERT_EQ(make_veth(), "");

  link = -1;
  auto again = xlb::tcx_attach_ingress(veth(), kTcxVeth, dp->program_fd(), pin, &link);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_NE(link_id_of(link), old_id);
  EXPECT_EQ(tcx_prog_ids(veth()), std::vector<uint32_t>{prog_id_of(dp->program_fd())});
  close(link);  // pinned: still attached, removed by TearDown's remove_pins
}

}  // namespace
}  // namespace xlbtest
