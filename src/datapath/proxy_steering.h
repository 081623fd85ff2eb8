// xlb_steer (bpf/xlb_steer.bpf.c): the sk_lookup program that hands connections to fullproxy
// VIP:ports to xlb-proxy's listener. Attached to the calling process's network namespace for as
// long as this object lives (a bpf_link, not pinned: it goes with the xlbd that owns the
// listener).
#pragma once

#include <memory>

#include "common/result.h"

struct xlb_steer;  // generated skeleton
struct bpf_link;

namespace xlb {

class BpfDatapath;

class ProxySteering {
 public:
  // Loads xlb_steer over the datapath's own rule map and attaches it.
  static Result<std::unique_ptr<ProxySteering>> attach(const BpfDatapath& datapath);
  ~ProxySteering();
  ProxySteering(const ProxySteering&) = delete;
  ProxySteering& operator=(const ProxySteering&) = delete;

  // The listening TCP socket connections go to (one of a reuseport group: the kernel picks
  // among the group). Replaces the previous one.
  Result<void> set_listener(int listen_fd);

 private:
  ProxySteering() = default;
  xlb_steer* skel_ = nullptr;
  bpf_link* link_ = nullptr;
};

}  // namespace xlb
