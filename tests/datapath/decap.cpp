#include "decap.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>

#include "xlb_decap.skel.h"

extern "C" {
#include "xlb/abi/common.h"
}

namespace xlbtest {

DecapProgram::DecapProgram() : skel_(xlb_decap__open_and_load()) {
  if (!skel_) error_ = std::string("cannot load xlb_decap: ") + std::strerror(errno);
}

DecapProgram::~DecapProgram() { xlb_decap__destroy(skel_); }

void DecapProgram::add_local_address(const char* ip) {
  xlb_ip addr{};  // IPv4 in w[0]
  ASSERT_TRUE(inet_pton(AF_INET, ip, &addr.w[0]) == 1 || inet_pton(AF_INET6, ip, addr.w) == 1)
      << ip;
  const uint8_t yes = 1;
  ASSERT_EQ(bpf_map_update_elem(bpf_map__fd(skel_->maps.xlb_decap_local), &addr, &yes, 0), 0)
      << std::strerror(errno);
}

void expect_decap_restores(int lb_fd, const DecapProgram& decap, const Flow& flow,
                           const EpSpec& ep) {
  for (const Bytes& in :
       {flow.client_tcp(tcpf::SYN), flow.client_tcp(tcpf::ACK | tcpf::PSH, Bytes(1001, 7))}) {
    Verdict lb = test_run(lb_fd, in, env().cli_ifindex);
    ASSERT_EQ(lb.action, TC_ACT_REDIRECT);
    Verdict v = test_run(decap.fd(), lb.frame, env().be_ifindex);
    EXPECT_EQ(v.err, 0);
    EXPECT_TRUE(Passed(v, with_macs(in, kLbBeMac, ep.host.mac)))
        << "the packet the client sent, behind the LB -> endpoint Ethernet header";
  }
}

void expect_decap_leaves_untouched(const DecapProgram& decap,
                                   const std::vector<std::pair<const char*, Bytes>>& cases) {
  for (const auto& [what, in] : cases) {
    Verdict v = test_run(decap.fd(), in, env().be_ifindex);
    EXPECT_EQ(v.err, 0) << what;
    EXPECT_TRUE(PassedUntouched(v, in)) << what;
  }
}

int DecapProgram::fd() const { return skel_ ? bpf_program__fd(skel_->progs.xlb_decap) : -1; }

}  // namespace xlbtest
