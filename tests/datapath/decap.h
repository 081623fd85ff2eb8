// The backend-side xlb-decap TC program (L3-DSR), loaded straight from its skeleton so tests can
// run frames through it with BPF_PROG_TEST_RUN (src/datapath/decap_loader only attaches it).
#pragma once

#include <string>

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

}  // namespace xlbtest
