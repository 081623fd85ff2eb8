// BGP wiring for xlbd (--bgp, --bgp-api): xlbd's own gobgpd or the operator's, the speaker that
// drives it, and the controller the API reaches, fed with the VIPs that can serve and the HA
// state. Torn down in reverse: routes withdrawn (unless --bgp-keep-on-exit), then gobgpd stopped.
#pragma once

#include <memory>

#include "bgp/bgp_controller.h"
#include "bgp/gobgp_cli_speaker.h"
#include "bgp/gobgpd_process.h"
#include "cluster/ha_controller.h"
#include "daemon/options.h"
#include "reconcile/reconciler.h"

namespace xlb::daemon {

class BgpWiring {
 public:
  // Null when neither --bgp nor --bgp-api was given. Errors are start-up errors.
  static Result<std::unique_ptr<BgpWiring>> start(const DaemonOptions& options,
                                                  const Reconciler& reconciler,
                                                  const cluster::HaController& ha);
  ~BgpWiring() { stop(); }

  bgp::BgpController& controller() { return *controller_; }
  void stop();

 private:
  BgpWiring() = default;
  bool keep_on_exit_ = false;
  std::unique_ptr<bgp::GobgpdProcess> process_;
  std::unique_ptr<bgp::GobgpCliSpeaker> speaker_;
  std::unique_ptr<bgp::BgpController> controller_;
};

}  // namespace xlb::daemon
