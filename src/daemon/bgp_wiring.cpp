#include "daemon/bgp_wiring.h"

namespace xlb::daemon {

Result<std::unique_ptr<BgpWiring>> BgpWiring::start(const DaemonOptions& options,
                                                    const Reconciler& reconciler,
                                                    const cluster::HaController& ha) {
  if (!options.bgp && options.bgp_api_host.empty()) return std::unique_ptr<BgpWiring>{};
  std::unique_ptr<BgpWiring> w(new BgpWiring());
  w->keep_on_exit_ = options.bgp_keep_on_exit;
  if (options.bgp) {
    w->process_ = std::make_unique<bgp::GobgpdProcess>(
        bgp::GobgpdOptions{.dir = options.state_dir + "/bgp",
                           .api_port = static_cast<uint16_t>(options.bgp_api_port)});
    XLB_TRY(w->process_->start());
    w->speaker_ = std::make_unique<bgp::GobgpCliSpeaker>(
        w->process_->api_host(), w->process_->api_port(), w->process_.get());
  } else {
    w->speaker_ = std::make_unique<bgp::GobgpCliSpeaker>(
        options.bgp_api_host, static_cast<uint16_t>(options.bgp_api_port), nullptr);
  }
  auto inputs = [&reconciler, &ha] {
    bgp::AnnouncerInputs in;
    in.serving_vips = reconciler.serving_vips();
    for (const auto& i : ha.status().instances) {
      if (i.name == cluster::kDefaultHaInstance)
        in.backup = i.state == cluster::HaState::backup || i.state == cluster::HaState::fault;
    }
    return in;
  };
  w->controller_ = std::make_unique<bgp::BgpController>(
      *w->speaker_, bgp::BgpControllerOptions{.state_dir = options.state_dir,
                                              .inputs = inputs,
                                              .keep_on_exit = options.bgp_keep_on_exit});
  XLB_TRY(w->controller_->start());
  return w;
}

void BgpWiring::stop() {
  if (controller_) controller_->stop();
  if (process_) process_->stop(keep_on_exit_);
}

}  // namespace xlb::daemon
