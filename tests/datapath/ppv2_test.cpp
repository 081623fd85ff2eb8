// Proxy Protocol v2 (rule flag XLB_SVC_F_PPV2) in NAT and FullNAT mode: the 28-byte header goes
// into the handshake's final ACK (and again into a retransmission of the first bytes until the
// endpoint acknowledges it); afterwards client sequence numbers are shifted up by 28, endpoint
// acknowledgements and SACK blocks down. Every rewritten frame is compared whole and its
// checksums verified.
#include <ostream>
#include <string>

#include "fixture.h"

namespace xlbtest {
namespace {

constexpr uint32_t kClientIsn = 1000;  // S: the client's payload starts at S + 1
constexpr uint32_t kFirst = kClientIsn + 1;
constexpr uint32_t kEpIsn = 5000;
constexpr uint32_t kHdr = 28;

Bytes text(const std::string& s) { return Bytes(s.begin(), s.end()); }

struct Mode {
  uint8_t mode;
  const char* name;
};
void PrintTo(const Mode& m, std::ostream* os) { *os << m.name; }

class Ppv2Test : public DatapathTest, public ::testing::WithParamInterface<Mode> {
 protected:
  void SetUp() override {
    DatapathTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    flow_.cport = 20000;  // in the SNAT range: FullNAT keeps it
    xlb_svc svc = make_svc(kSvcId, XLB_SEL_RR, {ep_});
    svc.flags |= XLB_SVC_F_PPV2;
    if (GetParam().mode == XLB_MODE_FULLNAT) {
      svc = fullnat(svc);
      flow_.snat = Snat{kLbBeIp, flow_.cport};
    }
    install(flow_.rule, svc);
    header_ = proxy_v2_header(flow_.client.ip, flow_.rule.vip, flow_.cport, flow_.rule.port);
  }
  // The client sends `in`; the endpoint must receive `out` (in the client's terms, translated).
  void client_sends(const Seg& in, const Seg& out) {
    Bytes frame = flow_.client_seg(in);
    EXPECT_TRUE(Forwarded(from_client(frame), flow_.to_endpoint(flow_.client_seg(out), ep_)))
        << "client seq " << in.seq << ", " << in.payload.size() << " bytes";
  }
  // The endpoint sends `in`; the client must receive `out` (translated back).
  void endpoint_sends(const Seg& in, const Seg& out) {
    Bytes frame = flow_.endpoint_seg(ep_, in);
    EXPECT_TRUE(Forwarded(from_backend(frame), flow_.to_client(flow_.endpoint_seg(ep_, out))))
        << "endpoint ack " << in.ack;
  }
  Bytes with_header(const Bytes& payload) const {
    Bytes out = header_;
    out.insert(out.end(), payload.begin(), payload.end());
    return out;
  }
  void handshake() {
    client_sends({tcpf::SYN, kClientIsn, 0}, {tcpf::SYN, kClientIsn, 0});
    EXPECT_TRUE(XdpTook(XDP_PASS)) << "a PPv2 flow starts in TC";
    endpoint_sends({tcpf::SYN | tcpf::ACK, kEpIsn, kFirst},
                   {tcpf::SYN | tcpf::ACK, kEpIsn, kFirst});
    EXPECT_TRUE(XdpTook(XDP_PASS)) << "and stays there";
    client_sends({tcpf::ACK, kFirst, kEpIsn + 1}, {tcpf::ACK, kFirst, kEpIsn + 1, header_});
  }
  void endpoint_acks_header() {
    endpoint_sends({tcpf::ACK, kEpIsn + 1, kFirst + kHdr}, {tcpf::ACK, kEpIsn + 1, kFirst});
  }
  void expect_ppv2_state(uint16_t flags) {
    auto orig = ct(flow_.orig_key());
    ASSERT_TRUE(orig);
    EXPECT_EQ(orig->ppv2_seq, kFirst);
    EXPECT_EQ(orig->ppv2_len, kHdr);
    EXPECT_EQ(orig->ppv2_flags, flags);
  }

  static constexpr uint32_t kSvcId = 31;
  const EpSpec ep_{kEndpoints[0], 8080};
  Flow flow_;
  Bytes header_;
};

TEST_P(Ppv2Test, HandshakeAckGrowsByTheHeaderAndNothingElseChanges) {
  client_sends({tcpf::SYN, kClientIsn, 0}, {tcpf::SYN, kClientIsn, 0});
  expect_ppv2_state(XLB_PPV2_F_ON);
  endpoint_sends({tcpf::SYN | tcpf::ACK, kEpIsn, kFirst}, {tcpf::SYN | tcpf::ACK, kEpIsn, kFirst});

  Bytes ack = flow_.client_seg({tcpf::ACK, kFirst, kEpIsn + 1});
  Verdict v = from_client(ack);
  EXPECT_TRUE(Forwarded(
      v, flow_.to_endpoint(flow_.client_seg({tcpf::ACK, kFirst, kEpIsn + 1, header_}), ep_)));
  // The same, spelled out: TCP header as sent but for its checksum, then the header, +28.
  auto in = ipv4_layout(ack);
  auto out = ipv4_layout(v.frame);
  ASSERT_TRUE(in && out);
  ASSERT_EQ(v.frame.size(), ack.size() + kHdr);
  EXPECT_EQ((v.frame[out->l3 + 2] << 8 | v.frame[out->l3 + 3]),
            (ack[in->l3 + 2] << 8 | ack[in->l3 + 3]) + static_cast<int>(kHdr));
  EXPECT_TRUE(std::equal(ack.begin() + in->l4 + 4, ack.begin() + in->l4 + 16,
                         v.frame.begin() + out->l4 + 4))
      << "seq, ack, flags and window unchanged";
  EXPECT_TRUE(std::equal(header_.begin(), header_.end(), v.frame.begin() + out->l4 + 20));
  EXPECT_TRUE(FlowTracked(dp(), flow_, ep_, kSvcId, 0, XLB_CT_EST));
  expect_ppv2_state(XLB_PPV2_F_ON);
}

TEST_P(Ppv2Test, OnceTheHeaderIsAckedClientDataIsShiftedAndAcksUnshifted) {
  handshake();
  endpoint_acks_header();
  expect_ppv2_state(XLB_PPV2_F_ON | XLB_PPV2_F_ACKED);
  Bytes request = text("GET / HTTP/1.0\r\n\r\n");
  client_sends({tcpf::ACK | tcpf::PSH, kFirst, kEpIsn + 1, request},
               {tcpf::ACK | tcpf::PSH, kFirst + kHdr, kEpIsn + 1, request});
  uint32_t after_request = kFirst + static_cast<uint32_t>(request.size());
  Bytes response = text("HTTP/1.0 200 OK\r\n\r\nhello");
  endpoint_sends({tcpf::ACK | tcpf::PSH, kEpIsn + 1, after_request + kHdr, response},
                 {tcpf::ACK | tcpf::PSH, kEpIsn + 1, after_request, response});
  uint32_t ep_next = kEpIsn + 1 + static_cast<uint32_t>(response.size());
  client_sends({tcpf::FIN | tcpf::ACK, after_request, ep_next},
               {tcpf::FIN | tcpf::ACK, after_request + kHdr, ep_next});
  endpoint_sends({tcpf::FIN | tcpf::ACK, ep_next, after_request + kHdr + 1},
                 {tcpf::FIN | tcpf::ACK, ep_next, after_request + 1});
  EXPECT_TRUE(FlowTracked(dp(), flow_, ep_, kSvcId, 0, XLB_CT_TIME_WAIT));
}

TEST_P(Ppv2Test, LostHeaderIsSentAgainWithTheFirstBytesUntilTheEndpointAcksIt) {
  handshake();  // suppose the ACK carrying the header was lost
  Bytes hello = text("hello");
  for (int attempt = 0; attempt < 2; ++attempt)  // first transmission, then a retransmission
    client_sends({tcpf::ACK | tcpf::PSH, kFirst, kEpIsn + 1, hello},
                 {tcpf::ACK | tcpf::PSH, kFirst, kEpIsn + 1, with_header(hello)});
  expect_ppv2_state(XLB_PPV2_F_ON);
  uint32_t after_hello = kFirst + static_cast<uint32_t>(hello.size());
  endpoint_sends({tcpf::ACK, kEpIsn + 1, after_hello + kHdr}, {tcpf::ACK, kEpIsn + 1, after_hello});
  expect_ppv2_state(XLB_PPV2_F_ON | XLB_PPV2_F_ACKED);
  // Acked: a late retransmission of the first bytes is only shifted, the next bytes too.
  client_sends({tcpf::ACK | tcpf::PSH, kFirst, kEpIsn + 1, hello},
               {tcpf::ACK | tcpf::PSH, kFirst + kHdr, kEpIsn + 1, hello});
  client_sends({tcpf::ACK | tcpf::PSH, after_hello, kEpIsn + 1, text("more")},
               {tcpf::ACK | tcpf::PSH, after_hello + kHdr, kEpIsn + 1, text("more")});
}

TEST_P(Ppv2Test, AckInsideTheHeaderIsHeldAtTheClientsFirstByte) {
  handshake();
  for (uint32_t inside : {kFirst + 1, kFirst + kHdr - 1})
    endpoint_sends({tcpf::ACK, kEpIsn + 1, inside}, {tcpf::ACK, kEpIsn + 1, kFirst});
  expect_ppv2_state(XLB_PPV2_F_ON);
}

TEST_P(Ppv2Test, SackBlocksAreShiftedLikeTheAck) {
  handshake();
  endpoint_acks_header();
  const uint32_t h = kHdr;
  endpoint_sends({tcpf::ACK,
                  kEpIsn + 1,
                  kFirst + 100 + h,
                  {},
                  {{kFirst + 200 + h, kFirst + 300 + h}, {kFirst + 400 + h, kFirst + 500 + h}}},
                 {tcpf::ACK,
                  kEpIsn + 1,
                  kFirst + 100,
                  {},
                  {{kFirst + 200, kFirst + 300}, {kFirst + 400, kFirst + 500}}});
}

// Four blocks, the most a SACK option holds: each of its eight edges is one step of the walk.
TEST_P(Ppv2Test, FourSackBlocksAreAllShifted) {
  handshake();
  endpoint_acks_header();
  const uint32_t h = kHdr;
  std::vector<SackBlock> sent, seen;
  for (uint32_t b = 0; b < 4; ++b) {
    sent.push_back({kFirst + 200 + 200 * b + h, kFirst + 300 + 200 * b + h});
    seen.push_back({kFirst + 200 + 200 * b, kFirst + 300 + 200 * b});
  }
  endpoint_sends({tcpf::ACK, kEpIsn + 1, kFirst + 100 + h, {}, sent},
                 {tcpf::ACK, kEpIsn + 1, kFirst + 100, {}, seen});
}

TEST_P(Ppv2Test, ServerSpeakingFirstGetsTheHeaderBeforeItsBanner) {
  handshake();
  Bytes banner = text("220 smtp ready\r\n");
  // The endpoint's first data acknowledges the header; the client sees its own ACK number.
  endpoint_sends({tcpf::ACK | tcpf::PSH, kEpIsn + 1, kFirst + kHdr, banner},
                 {tcpf::ACK | tcpf::PSH, kEpIsn + 1, kFirst, banner});
  uint32_t ep_next = kEpIsn + 1 + static_cast<uint32_t>(banner.size());
  client_sends({tcpf::ACK, kFirst, ep_next}, {tcpf::ACK, kFirst + kHdr, ep_next});
}

INSTANTIATE_TEST_SUITE_P(Modes, Ppv2Test,
                         ::testing::Values(Mode{XLB_MODE_NAT, "Nat"},
                                           Mode{XLB_MODE_FULLNAT, "FullNat"}),
                         [](const ::testing::TestParamInfo<Mode>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace xlbtest
