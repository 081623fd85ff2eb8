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

int DecapProgram::fd() const { return skel_ ? bpf_program__fd(skel_->progs.xlb_decap) : -1; }

}  // namespace xlbtest
