// mpps_tool: the packet generator and XDP helpers of the Mpps benchmark (bench/mpps.sh).
// Debian's xdp-tools does not load on this kernel, there is no pktgen module and
// BPF_F_TEST_XDP_LIVE_FRAMES is refused, so the bench brings its own sender.
//
//   mpps_tool send --dev IF --dst-mac MAC --src IP --dst IP --dport N [--flows N] [--seconds S]
//       writes one Ethernet/IPv4/UDP frame per flow (flows differ by source port) over and
//       over with sendmmsg on an AF_PACKET socket with PACKET_QDISC_BYPASS, for S seconds;
//       prints "sent <packets> <seconds> <share of sendmmsg calls the receiver pushed back on>".
//   mpps_tool attach --dev IF --prog count_drop|redirect_only --pin DIR [--to IF --to-mac MAC]
//       attaches one program of bpf/bench/mpps_xdp.bpf.c to IF (XDP, driver mode) and pins its
//       link and counter in DIR (a bpffs directory), so it stays attached after the tool exits.
//   mpps_tool count --pin DIR      prints the packets the pinned program counted (all CPUs)
//   mpps_tool detach --pin DIR     removes the pins: the program detaches
// Every command works in the caller's network namespace (run it with `ip netns exec`).
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "mpps_xdp.skel.h"

namespace {

using Mac = std::array<uint8_t, ETH_ALEN>;

[[noreturn]] void mpps_die(const std::string& what) {
  std::fprintf(stderr, "mpps_tool: %s\n", what.c_str());
  std::exit(1);
}

Mac parse_mac(const std::string& text, const char* field) {
  Mac mac{};
  unsigned b[ETH_ALEN];
  char tail;
  if (std::sscanf(text.c_str(), "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
                  &tail) != ETH_ALEN)
    mpps_die(std::string(field) + ": '" + text + "' is not a MAC address (aa:bb:cc:dd:ee:ff)");
  for (int i = 0; i < ETH_ALEN; ++i) mac[i] = static_cast<uint8_t>(b[i]);
  return mac;
}

in_addr parse_ipv4(const std::string& text, const char* field) {
  in_addr a{};
  if (inet_pton(AF_INET, text.c_str(), &a) != 1)
    mpps_die(std::string(field) + ": '" + text + "' is not an IPv4 address");
  return a;
}

int ifindex_of(const std::string& dev) {
  const unsigned idx = if_nametoindex(dev.c_str());
  if (idx == 0) mpps_die("--dev: no interface '" + dev + "' in this network namespace");
  return static_cast<int>(idx);
}

Mac mac_of(const std::string& dev) {
  ifreq req{};
  std::snprintf(req.ifr_name, sizeof req.ifr_name, "%s", dev.c_str());
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0 || ioctl(fd, SIOCGIFHWADDR, &req) != 0) mpps_die("reading the MAC of " + dev);
  close(fd);
  Mac mac;
  std::memcpy(mac.data(), req.ifr_hwaddr.sa_data, ETH_ALEN);
  return mac;
}

uint16_t fold_csum(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

uint32_t sum_words(const void* data, size_t len) {
  uint32_t sum = 0;
  const auto* p = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i + 1 < len; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (len & 1) sum += static_cast<uint32_t>(p[len - 1] << 8);
  return sum;
}

struct FrameSpec {
  Mac src_mac, dst_mac;
  in_addr src, dst;
  uint16_t sport, dport;
};

// A minimum-size Ethernet/IPv4/UDP frame (60 bytes: 18 bytes of payload), both checksums set.
std::vector<uint8_t> udp_frame(const FrameSpec& s) {
  constexpr size_t kPayload = 18;
  std::vector<uint8_t> f(sizeof(ether_header) + sizeof(iphdr) + sizeof(udphdr) + kPayload, 0);
  auto* eth = reinterpret_cast<ether_header*>(f.data());
  std::memcpy(eth->ether_dhost, s.dst_mac.data(), ETH_ALEN);
  std::memcpy(eth->ether_shost, s.src_mac.data(), ETH_ALEN);
  eth->ether_type = htons(ETHERTYPE_IP);
  auto* ip = reinterpret_cast<iphdr*>(eth + 1);
  ip->version = 4;
  ip->ihl = 5;
  ip->tot_len = htons(static_cast<uint16_t>(f.size() - sizeof(ether_header)));
  ip->ttl = 64;
  ip->protocol = IPPROTO_UDP;
  ip->saddr = s.src.s_addr;
  ip->daddr = s.dst.s_addr;
  ip->check = htons(fold_csum(sum_words(ip, sizeof *ip)));
  auto* udp = reinterpret_cast<udphdr*>(ip + 1);
  const auto udp_len = static_cast<uint16_t>(sizeof(udphdr) + kPayload);
  udp->source = htons(s.sport);
  udp->dest = htons(s.dport);
  udp->len = htons(udp_len);
  const uint32_t pseudo = sum_words(&ip->saddr, 8) + IPPROTO_UDP + udp_len;
  const uint16_t csum = fold_csum(pseudo + sum_words(udp, udp_len));
  udp->check = htons(csum == 0 ? 0xffff : csum);
  return f;
}

struct SendArgs {
  std::string dev, dst_mac, src, dst;
  uint16_t dport = 9;
  uint32_t flows = 1;
  double seconds = 5;
};

int run_send(const SendArgs& a) {
  const int ifindex = ifindex_of(a.dev);
  std::vector<std::vector<uint8_t>> frames;
  constexpr uint16_t kFirstSport = 10000;
  for (uint32_t i = 0; i < a.flows; ++i)
    frames.push_back(
        udp_frame({mac_of(a.dev), parse_mac(a.dst_mac, "--dst-mac"), parse_ipv4(a.src, "--src"),
                   parse_ipv4(a.dst, "--dst"), static_cast<uint16_t>(kFirstSport + i), a.dport}));

  const int fd = socket(AF_PACKET, SOCK_RAW, 0);  // protocol 0: send only, receive nothing
  if (fd < 0) mpps_die("socket(AF_PACKET): " + std::string(std::strerror(errno)));
  const int one = 1;
  if (setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one) != 0)
    mpps_die("PACKET_QDISC_BYPASS: " + std::string(std::strerror(errno)));
  sockaddr_ll ll{};
  ll.sll_family = AF_PACKET;
  ll.sll_ifindex = ifindex;
  if (bind(fd, reinterpret_cast<sockaddr*>(&ll), sizeof ll) != 0)
    mpps_die("bind " + a.dev + ": " + std::strerror(errno));

  constexpr unsigned kBatch = 64;
  std::array<iovec, kBatch> iov{};
  std::array<mmsghdr, kBatch> msgs{};
  // Calls the LB pushed back on (its queue full: ENOBUFS, or fewer frames taken than offered).
  // None means the sender, not the LB, set the pace.
  uint64_t sent = 0, next = 0, calls = 0, pushed_back = 0;
  const auto start = std::chrono::steady_clock::now();
  const auto stop = start + std::chrono::duration<double>(a.seconds);
  auto now = start;
  while (now < stop) {
    for (unsigned i = 0; i < kBatch; ++i) {
      auto& frame = frames[(next + i) % frames.size()];
      iov[i] = {frame.data(), frame.size()};
      msgs[i].msg_hdr = {};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    const int n = sendmmsg(fd, msgs.data(), kBatch, 0);
    ++calls;
    if (n < static_cast<int>(kBatch)) ++pushed_back;
    if (n > 0) {
      sent += static_cast<uint64_t>(n);
      next += static_cast<uint64_t>(n);
    } else if (errno != ENOBUFS && errno != EAGAIN && errno != EBUSY) {
      mpps_die("sendmmsg: " + std::string(std::strerror(errno)));
    }
    now = std::chrono::steady_clock::now();
  }
  close(fd);
  std::printf("sent %llu %.3f %.4f\n", static_cast<unsigned long long>(sent),
              std::chrono::duration<double>(now - start).count(),
              calls ? static_cast<double>(pushed_back) / static_cast<double>(calls) : 0.0);
  return 0;
}

std::string link_pin(const std::string& dir) { return dir + "/link"; }
std::string map_pin(const std::string& dir) { return dir + "/packets"; }

struct AttachArgs {
  std::string dev, prog, pin, to, to_mac;
};

int run_attach(const AttachArgs& a) {
  const int ifindex = ifindex_of(a.dev);
  auto* skel = mpps_xdp__open();
  if (!skel) mpps_die("opening mpps_xdp.bpf.o failed");
  bpf_program* prog = nullptr;
  if (a.prog == "count_drop") {
    prog = skel->progs.count_drop;
    bpf_program__set_autoload(skel->progs.redirect_only, false);
  } else {
    if (a.to.empty() || a.to_mac.empty()) mpps_die("--prog redirect_only needs --to and --to-mac");
    prog = skel->progs.redirect_only;
    bpf_program__set_autoload(skel->progs.count_drop, false);
    skel->rodata->mpps_redirect_ifindex = static_cast<uint32_t>(ifindex_of(a.to));
    const Mac src = mac_of(a.to), dst = parse_mac(a.to_mac, "--to-mac");
    std::memcpy(const_cast<uint8_t*>(skel->rodata->mpps_redirect_src_mac), src.data(), ETH_ALEN);
    std::memcpy(const_cast<uint8_t*>(skel->rodata->mpps_redirect_dst_mac), dst.data(), ETH_ALEN);
  }
  if (mpps_xdp__load(skel) != 0) mpps_die("loading mpps_xdp.bpf.o failed");
  std::filesystem::create_directories(a.pin);
  bpf_link* link = bpf_program__attach_xdp(prog, ifindex);
  if (!link) mpps_die("attaching " + a.prog + " to " + a.dev + ": " + std::strerror(errno));
  if (bpf_link__pin(link, link_pin(a.pin).c_str()) != 0 ||
      bpf_map__pin(skel->maps.mpps_packets, map_pin(a.pin).c_str()) != 0)
    mpps_die("pinning in " + a.pin + " (a bpffs directory?): " + std::strerror(errno));
  bpf_link__destroy(link);  // the pin keeps it attached
  mpps_xdp__destroy(skel);
  return 0;
}

int run_count(const std::string& dir) {
  const int fd = bpf_obj_get(map_pin(dir).c_str());
  if (fd < 0) mpps_die("no counter pinned at " + map_pin(dir));
  const int cpus = libbpf_num_possible_cpus();
  std::vector<uint64_t> per_cpu(static_cast<size_t>(cpus));
  const uint32_t key = 0;
  if (bpf_map_lookup_elem(fd, &key, per_cpu.data()) != 0) mpps_die("reading the counter");
  uint64_t total = 0;
  for (uint64_t n : per_cpu) total += n;
  std::printf("%llu\n", static_cast<unsigned long long>(total));
  close(fd);
  return 0;
}

int run_detach(const std::string& dir) {
  std::filesystem::remove(link_pin(dir));
  std::filesystem::remove(map_pin(dir));
  std::filesystem::remove(dir);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"mpps_tool: packet generator and XDP helpers of bench/mpps.sh"};
  app.require_subcommand(1);

  SendArgs send;
  auto* s = app.add_subcommand("send", "send UDP frames for a fixed time; prints packets sent");
  s->add_option("--dev", send.dev, "interface to send on")->required();
  s->add_option("--dst-mac", send.dst_mac, "destination MAC (the next hop's)")->required();
  s->add_option("--src", send.src, "source IPv4 address")->required();
  s->add_option("--dst", send.dst, "destination IPv4 address")->required();
  s->add_option("--dport", send.dport, "destination UDP port");
  s->add_option("--flows", send.flows, "flows, by source port from 10000")
      ->check(CLI::Range(1, 50000));
  s->add_option("--seconds", send.seconds, "how long to send")->check(CLI::Range(0.01, 3600.0));

  AttachArgs attach;
  auto* at = app.add_subcommand("attach", "attach an XDP program and pin it");
  at->add_option("--dev", attach.dev, "interface")->required();
  at->add_option("--prog", attach.prog, "program")
      ->required()
      ->check(CLI::IsMember({"count_drop", "redirect_only"}));
  at->add_option("--pin", attach.pin, "bpffs directory for the pins")->required();
  at->add_option("--to", attach.to, "redirect_only: the interface to redirect to");
  at->add_option("--to-mac", attach.to_mac, "redirect_only: the next hop's MAC");

  std::string pin;
  auto* c = app.add_subcommand("count", "print the pinned program's packet count");
  c->add_option("--pin", pin, "bpffs directory of the pins")->required();
  auto* d = app.add_subcommand("detach", "remove the pins (detaches the program)");
  d->add_option("--pin", pin, "bpffs directory of the pins")->required();

  CLI11_PARSE(app, argc, argv);
  if (*s) return run_send(send);
  if (*at) return run_attach(attach);
  if (*c) return run_count(pin);
  return run_detach(pin);
}
