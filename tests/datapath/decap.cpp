#include "decap.h"

#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>

#include "xlb_decap.skel.h"

namespace xlbtest {

DecapProgram::DecapProgram() : skel_(xlb_decap__open_and_load()) {
  if (!skel_) error_ = std::string("cannot load xlb_decap: ") + std::strerror(errno);
}

DecapProgram::~DecapProgram() { xlb_decap__destroy(skel_); }

int DecapProgram::fd() const { return skel_ ? bpf_program__fd(skel_->progs.xlb_decap) : -1; }

}  // namespace xlbtest
