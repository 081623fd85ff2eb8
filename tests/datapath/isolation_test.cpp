// The fixture reuses one loaded datapath per process (fixture.h): these two tests prove a test
// finds it as a new one. ctest runs a suite in one process, in order: the first test dirties
// every kind of state a test can reach, the second finds every map exactly as in a datapath
// opened now, nothing attached and no flow event pending.
#include "fixture.h"
#include "select/maglev.h"

namespace xlbtest {
namespace {

// The datapath the first test dirtied (the second must be handed the same one, reset).
const xlb::BpfDatapath* g_isolation_dirtied = nullptr;

class FixtureIsolationTest : public DatapathTest {
 protected:
  // How this datapath's maps differ from those of one opened now (interfaces registered as
  // the fixture does); "" when they do not.
  std::string differences_from_new() {
    xlb::BpfDatapathOptions opts;
    opts.pin_dir = "";
    opts.max_services = 64;
    auto fresh = xlb::BpfDatapath::open(opts);
    if (!fresh.ok()) return "BpfDatapath::open: " + fresh.error().message;
    EXPECT_TRUE((*fresh)->register_interface(env().cli_ifindex, kLbCliMac.data()).ok());
    EXPECT_TRUE((*fresh)->register_interface(env().be_ifindex, kLbBeMac.data()).ok());
    MapState mine, theirs;
    if (auto err = mine.capture(dp().program_fd()); !err.empty()) return err;
    if (auto err = theirs.capture((*fresh)->program_fd()); !err.empty()) return err;
    return mine.differences(theirs);
  }
  static constexpr uint32_t kSvcId = 9;
  Flow flow_;
};

TEST_F(FixtureIsolationTest, ATestDirtiesEveryKindOfState) {
  ASSERT_EQ(differences_from_new(), "") << "a test starts from a datapath as new";
  const std::vector<EpSpec> eps = endpoints(2);
  xlb_svc svc = make_svc(kSvcId, XLB_SEL_MAGLEV, eps);
  svc.maglev_size = 16381;
  install(flow_.rule, svc);  // service, VIP (and its pre-filter bit)
  auto table = xlb::select::build_maglev({{0, "a", 1}, {1, "b", 1}}, svc.maglev_size);
  ASSERT_TRUE(dp().set_maglev_table(kSvcId, 0, table).ok());  // a map-in-map slot
  ASSERT_TRUE(dp().set_flow_events(true).ok());               // a .data global
  ASSERT_TRUE(dp().set_snat_port_range(20000, 20100).ok());
  ASSERT_TRUE(dp().set_ha_state(XLB_HA_DEFAULT_INSTANCE, XLB_HA_BACKUP).ok());
  ASSERT_TRUE(dp().set_active_flows(kSvcId, 1, 7).ok());
  ASSERT_TRUE(dp().attach(kCliPeerIf).ok());  // a tc filter, and an interface entry
  // Conntrack, counters, the route cache and a flow event left unread in the ring.
  ASSERT_GE(open_flow(flow_, eps), 0);
  Bytes data = flow_.client_tcp(tcpf::ACK, Bytes(10, 1));
  ASSERT_EQ(from_client(data).action, TC_ACT_REDIRECT);
  EXPECT_FALSE(flows().empty());
  const std::string dirt = differences_from_new();
  for (const char* map : {XLB_MAP_SVC, XLB_MAP_VIP, XLB_MAP_IFACE, XLB_MAP_HA, XLB_MAP_EP_CONNS,
                          XLB_MAP_MAGLEV, XLB_MAP_DP_STATS, XLB_MAP_SVC_STATS})
    EXPECT_NE(dirt.find(std::string(map) + ":"), std::string::npos)
        << "the comparison does not see the change in " << map << ":\n"
        << dirt;
  EXPECT_TRUE(dirt.find(XLB_MAP_CT ":") != std::string::npos ||
              dirt.find(XLB_MAP_CT_SYN ":") != std::string::npos)
      << "the comparison does not see the flow's conntrack entries:\n"
      << dirt;
  g_isolation_dirtied = &dp();
}

TEST_F(FixtureIsolationTest, TheNextTestFindsTheDatapathAsNewlyOpened) {
  ASSERT_NE(g_isolation_dirtied, nullptr)
      << "run after ATestDirtiesEveryKindOfState in the same process (ctest runs the suite)";
  EXPECT_EQ(&dp(), g_isolation_dirtied) << "the fixture did not reuse the datapath";
  EXPECT_EQ(differences_from_new(), "");
  EXPECT_TRUE(dp().attachments().empty());
  EXPECT_EQ(shell_output(std::string("tc filter show dev ") + kCliPeerIf + " ingress"), "");
  EXPECT_TRUE(flow_events().empty()) << "the last test's flow event is still in the ring";
}

}  // namespace
}  // namespace xlbtest
