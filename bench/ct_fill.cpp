// ct_fill: writes N synthetic established NAT flows (an orig and a reply entry each, as the
// datapath writes them) into xlbd's pinned conntrack map, so listing a large table can be timed
// without opening a million real connections. Only bench/control_plane.sh uses it.
//   ct_fill <pinned ct map> <flows> <vip> <vport> <endpoint> <endpoint port> <svc id>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

extern "C" {
#include "xlb/abi/xlb.h"
}

namespace {

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "ct_fill: %s\n", what.c_str());
  std::exit(1);
}

uint32_t ipv4(const char* text, const char* field) {
  in_addr a{};
  if (inet_pton(AF_INET, text, &a) != 1)
    die(std::string(field) + " must be an IPv4 address, got \"" + text + "\"");
  return a.s_addr;
}

xlb_ct_key key(uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport) {
  xlb_ct_key k{};
  k.saddr.w[0] = saddr;
  k.daddr.w[0] = daddr;
  k.sport = sport;
  k.dport = dport;
  k.proto = IPPROTO_TCP;
  k.family = XLB_AF_INET;
  return k;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 8) {
    std::fprintf(stderr,
                 "usage: %s <pinned ct map> <flows> <vip> <vport> <endpoint> <port> <svc id>\n",
                 argv[0]);
    return 2;
  }
  const long flows = std::strtol(argv[2], nullptr, 10);
  if (flows < 1 || flows > 16 * 1000 * 1000) die("flows must be 1..16000000");
  const uint32_t vip = ipv4(argv[3], "vip"), ep = ipv4(argv[5], "endpoint");
  const uint16_t vport = htons(static_cast<uint16_t>(std::atoi(argv[4])));
  const uint16_t eport = htons(static_cast<uint16_t>(std::atoi(argv[6])));
  const uint32_t svc_id = static_cast<uint32_t>(std::atoi(argv[7]));
  const int fd = bpf_obj_get(argv[1]);
  if (fd < 0) die(std::string("cannot open the pinned map ") + argv[1]);

  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);  // bpf_ktime_get_ns's clock: the flows look fresh
  const uint64_t now_ns = uint64_t(now.tv_sec) * 1000000000ull + now.tv_nsec;

  constexpr long kBatch = 8192;
  std::vector<xlb_ct_key> keys;
  std::vector<xlb_ct_entry> values;
  for (long done = 0; done < flows;) {
    keys.clear();
    values.clear();
    for (; done < flows && long(keys.size()) < kBatch; ++done) {
      // Clients 10.128.0.0/9 (one address per 60000 flows), ports 1024..61023.
      const uint32_t client = htonl(0x0a800000u + uint32_t(done / 60000));
      const uint16_t cport = htons(static_cast<uint16_t>(1024 + done % 60000));
      xlb_ct_entry orig{};
      orig.nat_daddr.w[0] = ep;
      orig.nat_dport = eport;
      orig.dir = XLB_DIR_ORIG;
      orig.state = XLB_CT_EST;
      orig.mode = XLB_MODE_NAT;
      orig.flags = XLB_CT_F_DNAT;
      orig.svc_id = svc_id;
      orig.created_ns = orig.last_seen_ns = now_ns;
      const xlb_ct_key orig_key = key(client, vip, cport, vport);
      xlb_ct_entry reply;
      xlb_ct_key reply_key;
      xlb_ct_reply_entry(&orig_key, &orig, &reply);  // as the datapath writes a new flow's
      xlb_ct_peer_key(&orig_key, &orig, &reply_key);
      keys.push_back(orig_key);
      values.push_back(orig);
      keys.push_back(reply_key);
      values.push_back(reply);
    }
    uint32_t count = static_cast<uint32_t>(keys.size());
    if (bpf_map_update_batch(fd, keys.data(), values.data(), &count, nullptr) != 0)
      die("bpf_map_update_batch failed after " + std::to_string(done) + " flows");
  }
  std::printf("ct_fill: %ld flows (%ld entries) written\n", flows, 2 * flows);
  close(fd);
  return 0;
}
