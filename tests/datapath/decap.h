// The backend-side xlb-decap TC program (L3-DSR), loaded straight from its skeleton so tests can
// run frames through it with BPF_PROG_TEST_RUN (src/datapath/decap_loader only attaches it).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "fixture.h"

struct xlb_decap;  // generated skeleton

namespace xlbtest {

class DecapProgram {
 public:
  DecapProgram();  // loads the program; error() says why when fd() < 0
  ~DecapProgram();
  DecapProgram(const DecapProgram&) = delete;
  DecapProgram& operator=(const DecapProgram&) = delete;

  int fd() const;
  // Makes `ip` one of the host's local addresses, as `xlb-decap attach` would.
  void add_local_address(const char* ip);
  const std::string& error() const { return error_; }

 private:
  xlb_decap* skel_ = nullptr;
  std::string error_;
};

// A SYN and a data segment of `flow`, run through the LB program `lb_fd` (a tunnelling DSR rule
// to `ep`, arriving on the client side) and then through `decap` (on the backend side), must
// come out as the client sent them behind the LB -> endpoint Ethernet header, to the kernel.
void expect_decap_restores(int lb_fd, const DecapProgram& decap, const Flow& flow,
                           const EpSpec& ep);

// Each named frame, run through `decap` on the backend side, is handed to the kernel untouched.
void expect_decap_leaves_untouched(const DecapProgram& decap,
                                   const std::vector<std::pair<const char*, Bytes>>& cases);

}  // namespace xlbtest
