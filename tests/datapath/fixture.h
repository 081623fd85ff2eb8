// DatapathTest: a fresh BpfDatapath per test (unpinned), the namespace's interfaces registered,
// helpers to run frames through BPF_PROG_TEST_RUN and inspect conntrack and counters, and the
// assertions on verdicts, frames, counters and CT entries.
#pragma once

#include <gtest/gtest.h>
#include <linux/pkt_cls.h>

#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "datapath/bpf_datapath.h"
#include "flow.h"
#include "frame.h"
#include "topology.h"

namespace xlbtest {

struct Verdict {
  int err = 0;  // bpf_prog_test_run_opts's return: the kernel refused to run the frame
  int action = -1;
  Bytes frame;
};

::testing::AssertionResult Forwarded(const Verdict& v, const Bytes& expected);
::testing::AssertionResult PassedUntouched(const Verdict& v, const Bytes& in);
::testing::AssertionResult Dropped(const Verdict& v);
// Exactly the listed verdict counters moved, by the listed amounts; every other is unchanged.
::testing::AssertionResult StatsMoved(const std::vector<uint64_t>& before,
                                      const std::vector<uint64_t>& after,
                                      const std::map<int, uint64_t>& moved);
// Both conntrack entries of `flow` to `ep` exist with the documented translation and state.
::testing::AssertionResult FlowTracked(const xlb::Datapath& dp, const Flow& flow, const EpSpec& ep,
                                       uint32_t svc_id, uint16_t ep_idx, uint8_t state);

class DatapathTest : public ::testing::Test {
 protected:
  // Each test gets a fresh bpffs on /sys/fs/bpf (stacked, popped in TearDown), so even a
  // datapath that pins by default cannot carry state from one test to the next.
  void SetUp() override;
  void TearDown() override;

  xlb::BpfDatapath& dp() { return *dp_; }
  void install(const Rule& rule, const xlb_svc& svc);
  Verdict run(const Bytes& frame, int ifindex);      // the kernel must accept the frame
  Verdict try_run(const Bytes& frame, int ifindex);  // it may refuse it (Verdict::err)
  Verdict from_client(const Bytes& frame) { return run(frame, env().cli_ifindex); }
  Verdict from_backend(const Bytes& frame) { return run(frame, env().be_ifindex); }

  std::optional<xlb_ct_entry> ct(const xlb_ct_key& key);
  std::vector<xlb::CtFlow> flows();
  std::vector<uint64_t> stats();
  xlb_counter svc_counter(uint32_t id);
  xlb_counter ep_counter(uint32_t id, uint32_t idx);
  // Index in `eps` of the endpoint a forwarded frame is addressed to; -1 when none.
  static int endpoint_of(const Verdict& v, const std::vector<EpSpec>& eps);

  std::unique_ptr<xlb::BpfDatapath> dp_;
  bool fresh_bpffs_ = false;
};

// Skips (not root / no BPF) or fails (namespace broken) unless the environment is ready.
#define XLB_REQUIRE_ENV()                                                                    \
  do {                                                                                       \
    if (!::xlbtest::env().skip_reason.empty()) GTEST_SKIP() << ::xlbtest::env().skip_reason; \
    ASSERT_TRUE(::xlbtest::env().ready) << ::xlbtest::env().error;                           \
  } while (0)

}  // namespace xlbtest
