// libFuzzer harness over conntrack sync's receiver: what an authenticated peer sends, after its
// hello, goes through the frame reader (wire.h) in two reads, and whatever decodes goes to
// CtSync::receive against a fake datapath holding NAT, FullNAT and DSR rules, as TlsPeerLink
// hands it on. ASan and UBSan catch memory and undefined-behaviour bugs; the properties below
// catch logic bugs:
//   - a refusal is one line of text (it is logged and shown as the peer's last error);
//   - a read that fails to decode writes nothing (the link disconnects, nothing of it applied);
//   - every decoded message encodes back to a frame that decodes to the same message;
//   - the datapath holds only flows the receiver's rules allow, marked as learned from the peer,
//     each with its reply entry (DSR: none), and the active-flow counts equal the counted flows
//     (a close never drives one below zero).
#include <arpa/inet.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>

#include "cluster/ct_sync.h"
#include "cluster/wire.h"
#include "datapath/fake/fake_datapath.h"

namespace {

using xlb::cluster::wire::FlowBatch;
using xlb::cluster::wire::Message;

void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "sync_receiver_fuzzer: property violated: %s\n", what);
  std::abort();
}

xlb_ip sync_fuzz_ip(uint8_t last) {
  xlb_ip ip{};
  ip.w[0] = htonl((10u << 24) | (1u << 16) | (2u << 8) | last);
  return ip;
}

// Three rules on VIP 10.1.2.1 (ports 80, 81, 82: NAT, FullNAT with SNAT 10.1.2.1, DSR), two
// endpoints each (10.1.2.10 and .11, port 80).
void add_sync_fuzz_rules(xlb::FakeDatapath& dp) {
  for (uint8_t mode = XLB_MODE_NAT; mode <= XLB_MODE_DSR; ++mode) {
    xlb_svc_key key{};
    key.vip = sync_fuzz_ip(1);
    key.port = htons(static_cast<uint16_t>(80 + mode));
    key.proto = IPPROTO_TCP;
    key.family = XLB_AF_INET;
    xlb_svc svc{};
    svc.id = 7u - mode;
    svc.mode = mode;
    svc.nr_endpoints = 2;
    for (uint8_t i = 0; i < 2; ++i) {
      svc.eps[i].addr = sync_fuzz_ip(static_cast<uint8_t>(10 + i));
      svc.eps[i].port = mode == XLB_MODE_DSR ? key.port : htons(80);
      svc.eps[i].family = XLB_AF_INET;
    }
    if (mode == XLB_MODE_FULLNAT) {
      svc.nr_snat = 1;
      svc.snat[0] = sync_fuzz_ip(1);
    }
    require(dp.upsert_service(key, svc).ok(), "the rules install");
    key.proto = IPPROTO_UDP;
    require(dp.upsert_service(key, svc).ok(), "the rules install");
  }
}

size_t count_flows(const xlb::FakeDatapath& dp) {
  size_t n = 0;
  (void)dp.for_each_flow([&](const xlb::CtFlow&) { return ++n, true; });
  return n;
}

void check_datapath(const xlb::FakeDatapath& dp) {
  std::map<std::pair<uint32_t, uint32_t>, uint32_t> counted;
  (void)dp.for_each_flow([&](const xlb::CtFlow& f) {
    if (f.entry.dir == XLB_DIR_REPLY) {
      xlb_ct_key orig{};
      xlb_ct_peer_key(&f.key, &f.entry, &orig);
      auto o = dp.lookup_flow(orig);
      require(o.ok() && o->has_value(), "a reply entry has its orig entry");
      return true;
    }
    require(f.entry.flags & XLB_CT_F_SYNCED, "a written flow is marked as learned from the peer");
    require(f.entry.svc_id >= 5 && f.entry.svc_id <= 7 && f.entry.ep_idx < 2,
            "a written flow names one of the receiver's rules and endpoints");
    require(f.entry.mode == 7 - f.entry.svc_id, "a written flow has its rule's mode");
    if (f.entry.mode != XLB_MODE_DSR) {
      xlb_ct_key reply{};
      xlb_ct_peer_key(&f.key, &f.entry, &reply);
      auto r = dp.lookup_flow(reply);
      require(r.ok() && r->has_value(), "a NAT or FullNAT flow has its reply entry");
    }
    if (f.entry.flags & XLB_CT_F_COUNTED) ++counted[{f.entry.svc_id, f.entry.ep_idx}];
    return true;
  });
  for (uint32_t svc = 5; svc <= 7; ++svc) {
    for (uint32_t ep = 0; ep < 2; ++ep) {
      auto it = counted.find({svc, ep});
      require(*dp.active_flows(svc, ep) == (it == counted.end() ? 0 : it->second),
              "active-flow counts equal the counted flows");
    }
  }
}

void check_round_trip(const Message& m) {
  xlb::cluster::wire::FrameReader reader;
  std::vector<Message> out;
  std::vector<uint8_t> bytes = xlb::cluster::wire::encode(xlb::cluster::wire::Hello{1, "fuzz"});
  const auto frame = xlb::cluster::wire::encode(m);
  bytes.insert(bytes.end(), frame.begin(), frame.end());
  require(reader.feed(bytes, out).ok(), "an encoded message decodes");
  require(out.size() == 2 && out[1] == m, "encode -> decode is the identity");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  xlb::FakeDatapath dp;
  add_sync_fuzz_rules(dp);
  xlb::cluster::CtSyncOptions options;
  options.max_records_per_second = 1u << 30;  // never pause the harness
  xlb::cluster::CtSync sync(dp, options);
  xlb::cluster::wire::FrameReader reader;
  std::vector<Message> messages;
  require(
      reader.feed(xlb::cluster::wire::encode(xlb::cluster::wire::Hello{1, "peer"}), messages).ok(),
      "a hello decodes");
  // The first byte says where the stream splits into two reads.
  const size_t cut = size == 0 ? 0 : std::min<size_t>(data[0] * 64u, size - 1);
  const uint8_t* stream = size == 0 ? data : data + 1;
  const size_t length = size == 0 ? 0 : size - 1;
  for (auto [at, n] : {std::pair{size_t{0}, std::min(cut, length)},
                       std::pair{std::min(cut, length), length - std::min(cut, length)}}) {
    const size_t before = count_flows(dp);
    auto fed = reader.feed({stream + at, n}, messages);
    if (!fed) {
      require(!fed.error().message.empty(), "a refusal has a message");
      require(fed.error().message.find('\n') == std::string::npos, "a refusal is one line");
      require(messages.empty() && count_flows(dp) == before, "a refused read writes nothing");
      break;
    }
    for (const auto& m : messages) {
      check_round_trip(m);
      if (const auto* batch = std::get_if<FlowBatch>(&m)) sync.receive(0, *batch);
    }
    check_datapath(dp);
  }
  return 0;
}
