// The datapath's clock (bpf/lib/clock.h): CLOCK_MONOTONIC read coarsely, once per jiffy per CPU.
// A flow's times are never ahead of CLOCK_MONOTONIC, trail it by little, and move on between
// packets (a per-CPU reading never renewed would keep every flow's last_seen_ns at
// its first packet's time, and the control plane would age live flows out).
#include "datapath/clock.h"

#include <time.h>

#include <chrono>
#include <thread>

#include "fixture.h"

namespace xlbtest {
namespace {

// The coarse clock's step: one timer tick (1-10 ms by the kernel's HZ).
uint64_t tick_ns() {
  timespec res{};
  clock_getres(CLOCK_MONOTONIC_COARSE, &res);
  return static_cast<uint64_t>(res.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(res.tv_nsec);
}

// How far behind a reading may be: the coarse clock is up to a tick old, and a CPU keeps its
// reading for the rest of the jiffy (one more); the rest is room for a late timer tick on a
// busy virtual machine, far below any timeout the clock serves (250 ms and up).
constexpr uint64_t kLateTickRoom = 40'000'000;

class ClockTest : public DatapathTest {
 protected:
  void SetUp() override {
    DatapathTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    install(flow_.rule, make_svc(kSvcId, XLB_SEL_RR, eps_));
  }
  std::optional<xlb_ct_entry> orig() { return ct(flow_.orig_key()); }

  static constexpr uint32_t kSvcId = 14;
  std::vector<EpSpec> eps_ = endpoints(1);
  Flow flow_;
};

TEST_F(ClockTest, ANewFlowsTimesAreTheMonotonicClockNeverAhead) {
  const uint64_t before = xlb::datapath_clock_ns();
  ASSERT_EQ(open_flow(flow_, eps_), 0);
  const uint64_t after = xlb::datapath_clock_ns();
  auto e = orig();
  ASSERT_TRUE(e);
  EXPECT_LE(e->created_ns, after) << "never ahead of CLOCK_MONOTONIC";
  EXPECT_GE(e->created_ns + 2 * tick_ns() + kLateTickRoom, before)
      << "behind by " << (before - e->created_ns) / 1000 << " us (tick " << tick_ns() / 1000
      << " us)";
  EXPECT_EQ(e->last_seen_ns, e->created_ns);
}

TEST_F(ClockTest, EachPacketReadsTheClockAnew) {
  ASSERT_EQ(open_flow(flow_, eps_), 0);
  uint64_t seen = orig()->last_seen_ns;
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    const uint64_t before = xlb::datapath_clock_ns();
    Bytes ack = flow_.client_tcp(tcpf::ACK);
    ASSERT_TRUE(Forwarded(from_client(ack), flow_.to_endpoint(ack, eps_[0])));
    auto e = orig();
    ASSERT_TRUE(e);
    EXPECT_GT(e->last_seen_ns, seen) << "packet " << i << ": the flow's time did not move";
    EXPECT_LE(e->last_seen_ns, xlb::datapath_clock_ns());
    EXPECT_GE(e->last_seen_ns + 2 * tick_ns() + kLateTickRoom, before);
    seen = e->last_seen_ns;
  }
}

}  // namespace
}  // namespace xlbtest
