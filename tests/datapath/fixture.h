// DatapathTest: a fresh BpfDatapath per test (unpinned), the namespace's interfaces registered,
// helpers to run frames through BPF_PROG_TEST_RUN and inspect conntrack and counters, and the
// assertions on verdicts, frames, counters and CT entries.
#pragma once

#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "datapath/bpf_datapath.h"
#include "datapath_pool.h"
#include "flow.h"
#include "frame.h"
#include "topology.h"

namespace xlbtest {

struct Verdict {
  int err = 0;  // bpf_prog_test_run_opts's return: the kernel refused to run the frame
  int action = -1;
  Bytes frame;
  uint32_t mark = 0;  // skb->mark as the program left it
};

::testing::AssertionResult Forwarded(const Verdict& v, const Bytes& expected);
::testing::AssertionResult PassedUntouched(const Verdict& v, const Bytes& in);
// Handed to the kernel (TC_ACT_OK) as `expected`, with valid checksums.
::testing::AssertionResult Passed(const Verdict& v, const Bytes& expected);
::testing::AssertionResult Dropped(const Verdict& v);
// Exactly the listed verdict counters moved, by the listed amounts; every other is unchanged.
::testing::AssertionResult StatsMoved(const std::vector<uint64_t>& before,
                                      const std::vector<uint64_t>& after,
                                      const std::map<int, uint64_t>& moved);
// Both conntrack entries of `flow` to `ep` exist with the documented translation and state:
// NAT, or FullNAT when flow.snat is set.
::testing::AssertionResult FlowTracked(const xlb::Datapath& dp, const Flow& flow, const EpSpec& ep,
                                       uint32_t svc_id, uint16_t ep_idx, uint8_t state);

// A new fd for the map called `name` among those program `prog_fd` uses (the caller closes
// it); -1 when there is none.
int open_program_map(int prog_fd, const char* name);

// Runs `frame` through the TC program `prog_fd` as if received on `ifindex`; a non-zero
// `gso_size` makes it a GSO packet of that segment size (of no GSO type, as test runs allow).
Verdict test_run(int prog_fd, const Bytes& frame, int ifindex, uint32_t gso_size = 0);
// The same through the XDP program `prog_fd` (native XDP's view: no skb); action is the XDP one.
Verdict test_run_xdp(int prog_fd, const Bytes& frame, int ifindex);

// The hook the packet tests run against, for the whole process: tc (TC program alone), or
// xdp (XLB_DP_HOOK=xdp: XDP first, then TC on what XDP passes, as attached with
// --attach=xdp). Every packet test passes on both, unchanged (tests/datapath/CMakeLists.txt
// registers them twice).
enum class TestHook { tc, xdp };
TestHook test_hook();

class DatapathTest : public ::testing::Test {
 protected:
  // Each test gets a fresh bpffs on /sys/fs/bpf (stacked, popped in TearDown), so even a
  // datapath that pins by default cannot carry state from one test to the next.
  // The datapath comes from the process's pool (datapath_pool.h): loaded once per shape, and
  // handed to each test as a fresh open would leave it. TearDown fails a test that left the
  // namespace's routes or neighbours changed (the process's next tests share the namespace).
  void SetUp() override;
  void TearDown() override;
  // (Re)opens the datapath with these conntrack sizes (ct_syn_size 0: the default share), fresh;
  // SetUp opens it with 65536 entries.
  void open_datapath(uint32_t ct_size, uint32_t ct_syn_size);

  xlb::BpfDatapath& dp() { return *dp_; }
  // The hook this test runs on: the process's (test_hook()), or a fixture's own.
  virtual TestHook hook() const { return test_hook(); }
  void install(const Rule& rule, const xlb_svc& svc);
  Verdict run(const Bytes& frame, int ifindex);      // the kernel must accept the frame
  Verdict try_run(const Bytes& frame, int ifindex);  // it may refuse it (Verdict::err)
  Verdict run_gso(const Bytes& frame, int ifindex, uint32_t gso_size);
  Verdict from_client(const Bytes& frame) { return run(frame, env().cli_ifindex); }
  Verdict from_backend(const Bytes& frame) { return run(frame, env().be_ifindex); }

  std::optional<xlb_ct_entry> ct(const xlb_ct_key& key);
  std::vector<xlb::CtFlow> flows();
  std::vector<uint64_t> stats();
  xlb_counter svc_counter(uint32_t id);
  xlb_counter ep_counter(uint32_t id, uint32_t idx);
  xlb_dsr_counter dsr_counter(uint32_t id, uint32_t idx);  // DSR packets by path
  uint32_t active(uint32_t id, uint32_t idx);              // lc's active flow count
  // Conntrack sync: the flow events reported since the last call (none waited for).
  std::vector<xlb::Datapath::FlowEvent> flow_events();
  // Sends `f`'s SYN and returns the index in `eps` it was DNATed to (the whole rewritten frame
  // checked), or -1 (a failure is recorded).
  int open_flow(const Flow& f, const std::vector<EpSpec>& eps);
  // Deletes both conntrack entries of `f` to `ep`, as CT aging would.
  void forget_flow(const Flow& f, const EpSpec& ep);
  // Index in `eps` of the endpoint a forwarded frame is addressed to; -1 when none.
  static int endpoint_of(const Verdict& v, const std::vector<EpSpec>& eps);
  // Source address and port of a forwarded frame (a FullNAT flow's SNAT); nullopt when none.
  static std::optional<Snat> source_of(const Verdict& v);

  // Maps BpfDatapath has no accessor for, found by name among the program's maps (the fd is
  // owned by the fixture); for state set-up and inspection only.
  int map_fd(const char* name);
  std::optional<xlb_persist_entry> persist(uint32_t svc_id, const char* client);
  // Inserts a conntrack entry directly, as if the datapath had.
  void put_ct(const xlb_ct_key& key, const xlb_ct_entry& entry);

  // XDP mode: the action XDP itself took on the last frame run (XDP_PASS: TC decided); -1 in
  // TC mode or when XDP never saw the frame (a GSO packet, a frame larger than a page).
  int last_xdp_action() const { return last_xdp_action_; }
  // On the XDP hook: XDP itself took `xdp_action` on the last frame (XDP_PASS: it handed the
  // frame to TC). On the TC hook: always true. Says where the packet path ran.
  ::testing::AssertionResult XdpTook(int xdp_action) const;

  std::unique_ptr<xlb::BpfDatapath> dp_;
  int last_xdp_action_ = -1;
  std::map<std::string, int> map_fds_;
  bool fresh_bpffs_ = false;
};

// Skips (not root / no BPF) or fails (namespace broken) unless the environment is ready.
#define XLB_REQUIRE_ENV()                                                                    \
  do {                                                                                       \
    if (!::xlbtest::env().skip_reason.empty()) GTEST_SKIP() << ::xlbtest::env().skip_reason; \
    ASSERT_TRUE(::xlbtest::env().ready) << ::xlbtest::env().error;                           \
  } while (0)

}  // namespace xlbtest
