// HA wiring for xlbd: the peer channel (with --cluster), the gratuitous-ARP socket and
// announcer, and the HA controller the API drives, built in start-up order and torn down in
// reverse.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cluster/ha_controller.h"
#include "daemon/garp_socket.h"
#include "daemon/options.h"
#include "reconcile/reconciler.h"

namespace xlb::cluster {
class TlsPeerLink;
class CtSync;
}  // namespace xlb::cluster

namespace xlb::daemon {

class HaWiring {
 public:
  using Interfaces = std::function<std::vector<std::string>()>;

  // Reads the key file, gives the datapath this node's share of the FullNAT ports, starts
  // conntrack sync and listens on the cluster port (with --cluster), opens the packet socket,
  // and adopts the datapath's HA state. Errors are start-up errors.
  static Result<std::unique_ptr<HaWiring>> start(const DaemonOptions& options, Datapath& datapath,
                                                 const Reconciler& reconciler,
                                                 Interfaces interfaces);
  ~HaWiring();

  cluster::HaController& controller() { return *controller_; }
  // xlbd is stopping: a node of a pair stops claiming the VIPs (the datapath keeps forwarding).
  void stop() { controller_->stop_answering(); }

 private:
  HaWiring() = default;
  std::unique_ptr<cluster::CtSync> sync_;  // with --cluster, when the datapath has flow events
  std::unique_ptr<cluster::PeerLink> link_;
  cluster::TlsPeerLink* tls_link_ = nullptr;  // link_, when it is the real channel
  std::unique_ptr<GarpSocket> garp_socket_;
  std::unique_ptr<cluster::GarpAnnouncer> announcer_;
  std::unique_ptr<cluster::HaController> controller_;
};

// The VIPs of the configured rules (both families), each once: what a MASTER announces.
std::vector<IpAddress> configured_vips(const Reconciler& reconciler);

}  // namespace xlb::daemon
