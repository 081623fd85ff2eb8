// Sends the gratuitous ARPs of a node becoming MASTER (cluster/garp.h) through a packet socket:
// the frames leave each managed interface as built, from its MAC, whether or not the VIP is an
// address of this host (it is not: the datapath answers for it).
#pragma once

#include <memory>

#include "cluster/garp.h"

namespace xlb::daemon {

class GarpSocket final : public cluster::GarpSender {
 public:
  // Needs CAP_NET_RAW; the error says so.
  static Result<std::unique_ptr<GarpSocket>> open();
  ~GarpSocket() override;
  GarpSocket(const GarpSocket&) = delete;
  GarpSocket& operator=(const GarpSocket&) = delete;

  Result<void> send(const std::string& ifname, const std::vector<IpAddress>& vips,
                    unsigned copies) override;

 private:
  explicit GarpSocket(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace xlb::daemon
