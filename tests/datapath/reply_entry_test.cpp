// One definition of a flow's reply entry (xlb_ct_reply_entry, include/xlb/abi/conntrack.h): the
// reply entry the BPF datapath writes for a flow that packets start is, byte for byte and under the
// key xlb_ct_peer_key derives, the one conntrack sync's control-plane side derives from the orig
// entry beside it (synced_reply_entry), and the one BpfDatapath::install_synced_flow writes on a
// standby given that orig entry: in NAT, FullNAT and NAT64, over IPv4 and IPv6, TCP (from a SYN,
// or picked up mid-stream: established at once, its reply entry marked XLB_CT_RF_ALONE) and UDP.
// The entries are read back from the maps, so a datapath that built its reply entry its own way,
// or a sync path that did, fails here even where both still forward alike.
#include <cstring>
#include <iomanip>
#include <ostream>
#include <sstream>
#include <string>

#include "datapath/synced_flow.h"
#include "fixture.h"

namespace xlbtest {
namespace {

struct ReplyEntryCase {
  const char* name;
  uint8_t mode;
  bool v6_client;    // the VIP and the client are IPv6
  bool v6_endpoint;  // the endpoint too (false with v6_client: NAT64)
  uint8_t proto;
  uint8_t select = XLB_SEL_RR;
  bool ppv2 = false;
  bool midstream = false;  // TCP picked up mid-stream (an ACK): established from its first packet
};
void PrintTo(const ReplyEntryCase& c, std::ostream* os) { *os << c.name; }

// A struct's bytes in hex, so a mismatch shows which field differs.
template <typename T>
std::string reply_entry_hex(const T& v) {
  const auto* b = reinterpret_cast<const uint8_t*>(&v);
  std::ostringstream out;
  for (size_t i = 0; i < sizeof v; ++i)
    out << (i % 16 == 0 ? "\n  " : " ") << std::hex << std::setw(2) << std::setfill('0')
        << int{b[i]};
  return out.str();
}

template <typename T>
::testing::AssertionResult SameBytes(const T& actual, const T& expected) {
  if (std::memcmp(&actual, &expected, sizeof actual) == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "\nactual:" << reply_entry_hex(actual) << "\nexpected:" << reply_entry_hex(expected);
}

class ReplyEntryTest : public DatapathTest, public ::testing::WithParamInterface<ReplyEntryCase> {
 protected:
  void SetUp() override {
    DatapathTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    const ReplyEntryCase& c = GetParam();
    if (c.v6_client) flow_ = v6_flow(80, c.proto);
    flow_.rule.proto = c.proto;
    flow_.cport = 20000;  // in the SNAT range: FullNAT keeps it
    ep_ = {c.v6_endpoint ? kEndpoints6[0] : kEndpoints[0], 8080};
    install_rule();
  }
  void install_rule() {
    const ReplyEntryCase& c = GetParam();
    xlb_svc svc = make_svc(kSvcId, c.select, {ep_});
    if (c.ppv2) svc.flags |= XLB_SVC_F_PPV2;
    if (c.mode == XLB_MODE_FULLNAT) svc = fullnat(svc);
    if (c.mode == XLB_MODE_DSR) svc = dsr(svc);
    install(flow_.rule, svc);
  }
  // The flow's first packet: a SYN (an ACK mid-stream), or a UDP datagram.
  Bytes first_packet() const {
    if (GetParam().proto == IPPROTO_UDP) return flow_.client_udp({'h', 'i'});
    if (GetParam().midstream) return flow_.client_seg({tcpf::ACK, 1000, 5001});
    return flow_.client_seg({tcpf::SYN, 1000, 0});
  }

  static constexpr uint32_t kSvcId = 57;
  Flow flow_;
  EpSpec ep_{kEndpoints[0], 8080};
};

TEST_P(ReplyEntryTest, TheDatapathsReplyEntryIsTheOneSyncDerivesFromTheOrigEntry) {
  const ReplyEntryCase& c = GetParam();
  ASSERT_EQ(from_client(first_packet()).err, 0);
  const xlb_ct_key orig_key = flow_.orig_key();
  const auto orig = ct(orig_key);
  ASSERT_TRUE(orig) << "the first packet started a flow";
  // What the datapath wrote: the orig entry, and the reply entry (whatever its key).
  const auto written = flows();
  const xlb::CtFlow* reply = nullptr;
  for (const auto& f : written)
    if (f.entry.dir == XLB_DIR_REPLY) reply = &f;

  const auto derived = xlb::synced_reply_entry(orig_key, *orig);
  if (c.mode == XLB_MODE_DSR) {
    EXPECT_EQ(written.size(), 1u) << "DSR writes the orig entry only";
    EXPECT_FALSE(derived) << "and sync derives no reply entry for it";
    return;
  }
  ASSERT_EQ(written.size(), 2u) << "the orig entry and the reply entry";
  ASSERT_NE(reply, nullptr);
  ASSERT_TRUE(derived);
  xlb_ct_key derived_key{};
  xlb_ct_peer_key(&orig_key, &*orig, &derived_key);
  EXPECT_TRUE(SameBytes(reply->key, derived_key)) << "reply key";
  EXPECT_TRUE(SameBytes(reply->entry, *derived)) << "reply entry";
  // Not trivially equal: the translation, the family and the flow's state are in it.
  EXPECT_EQ(reply->entry.nat_family, c.v6_client != c.v6_endpoint ? XLB_AF_INET6 : 0);
  const uint8_t state = c.proto == IPPROTO_UDP ? XLB_CT_UDP_NEW
                        : c.midstream          ? XLB_CT_EST
                                               : XLB_CT_SYN_SENT;
  EXPECT_EQ(reply->entry.state, state);
  // Replies of an established flow without PPv2 need only this entry (XLB_CT_RF_ALONE).
  EXPECT_EQ(reply->entry.reply_flags, c.midstream ? XLB_CT_RF_ALONE : 0);

  // The standby: given the orig entry as sync delivers it, BpfDatapath writes the same reply
  // entry under the same key.
  ASSERT_NO_FATAL_FAILURE(open_datapath(65536, 0));
  install_rule();
  ASSERT_TRUE(dp().install_synced_flow(orig_key, *orig).ok());
  const auto standby = ct(reply->key);
  ASSERT_TRUE(standby) << "the standby wrote the reply entry under the datapath's key";
  EXPECT_TRUE(SameBytes(*standby, reply->entry)) << "standby's reply entry";
}

INSTANTIATE_TEST_SUITE_P(
    ModesAndFamilies, ReplyEntryTest,
    ::testing::Values(ReplyEntryCase{"NatTcp4", XLB_MODE_NAT, false, false, IPPROTO_TCP},
                      ReplyEntryCase{"NatUdp4", XLB_MODE_NAT, false, false, IPPROTO_UDP},
                      ReplyEntryCase{"NatTcp6", XLB_MODE_NAT, true, true, IPPROTO_TCP},
                      ReplyEntryCase{"NatUdp6", XLB_MODE_NAT, true, true, IPPROTO_UDP},
                      ReplyEntryCase{"NatMidStreamTcp4", XLB_MODE_NAT, false, false, IPPROTO_TCP,
                                     XLB_SEL_RR, false, true},
                      ReplyEntryCase{"FullNatMidStreamTcp6", XLB_MODE_FULLNAT, true, true,
                                     IPPROTO_TCP, XLB_SEL_RR, false, true},
                      ReplyEntryCase{"NatPersistPpv2", XLB_MODE_NAT, false, false, IPPROTO_TCP,
                                     XLB_SEL_PERSIST, true},
                      ReplyEntryCase{"FullNatTcp4", XLB_MODE_FULLNAT, false, false, IPPROTO_TCP},
                      ReplyEntryCase{"FullNatUdp4", XLB_MODE_FULLNAT, false, false, IPPROTO_UDP},
                      ReplyEntryCase{"FullNatTcp6", XLB_MODE_FULLNAT, true, true, IPPROTO_TCP},
                      ReplyEntryCase{"FullNatUdp6", XLB_MODE_FULLNAT, true, true, IPPROTO_UDP},
                      ReplyEntryCase{"FullNatPpv2", XLB_MODE_FULLNAT, false, false, IPPROTO_TCP,
                                     XLB_SEL_RR, true},
                      ReplyEntryCase{"Nat64Tcp", XLB_MODE_FULLNAT, true, false, IPPROTO_TCP},
                      ReplyEntryCase{"Nat64Udp", XLB_MODE_FULLNAT, true, false, IPPROTO_UDP},
                      ReplyEntryCase{"L2DsrTcp4", XLB_MODE_DSR, false, false, IPPROTO_TCP}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace xlbtest
