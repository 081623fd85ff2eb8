#include "decap.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>

#include "xlb_decap.skel.h"

namespace xlbtest {

DecapProgram::DecapProgram() : skel_(xlb_decap__open_and_load()) {
  if (!skel_) error_ = std::string("cannot load xlb_decap: ") + std::strerror(errno);
}

DecapProgram::~DecapProgram() { xlb_decap__destroy(skel_); }

void DecapProgram::add_local_address(const char* ip) {
  in_addr addr{};
  ASSERT_EQ(inet_pton(AF_INET, ip, &addr), 1) << ip;
  const uint8_t yes = 1;
  ASSERT_EQ(bpf_map_update_elem(bpf_map__fd(skel_->maps.xlb_decap_local), &addr.s_addr, &yes, 0), 0)
      << std::strerror(errno);
}

int DecapProgram::fd() const { return skel_ ? bpf_program__fd(skel_->progs.xlb_decap) : -1; }

}  // namespace xlbtest
