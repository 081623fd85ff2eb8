#include "daemon/ha_wiring.h"

#include <set>

#include "cluster/tls_peer_link.h"
#include "common/ip.h"
#include "common/token_file.h"

namespace xlb::daemon {

std::vector<uint32_t> configured_vips(const Reconciler& reconciler) {
  std::set<uint32_t> vips;
  for (const auto& svc : reconciler.config().services) {
    if (auto ip = parse_ipv4(svc.key.vip)) vips.insert(ip->w[0]);
  }
  return {vips.begin(), vips.end()};
}

Result<std::unique_ptr<HaWiring>> HaWiring::start(const DaemonOptions& options, Datapath& datapath,
                                                  const Reconciler& reconciler,
                                                  Interfaces interfaces) {
  std::unique_ptr<HaWiring> w(new HaWiring());
  if (options.cluster.empty()) {
    w->link_ = std::make_unique<cluster::NoPeerLink>();
  } else {
    auto key = read_token_file(options.cluster_key_file, "cluster-key-file",
                               /*require_private=*/true);
    if (!key) return key.error();
    auto tls = cluster::ClusterTls::create(*key);
    if (!tls) return tls.error();
    cluster::ClusterLinkOptions link;
    link.listen_port = static_cast<uint16_t>(options.cluster_port);
    for (const auto& ip : options.cluster) link.peers.push_back({ip, link.listen_port});
    link.self = options.self;
    link.software = "xlb " XLB_VERSION;
    auto tls_link = std::make_unique<cluster::TlsPeerLink>(
        std::move(link), std::shared_ptr<const cluster::ClusterTls>(std::move(*tls)));
    if (auto ok = tls_link->start(); !ok) return ok.error();
    w->tls_link_ = tls_link.get();
    w->link_ = std::move(tls_link);
  }
  auto socket = GarpSocket::open();
  if (!socket) return socket.error();
  w->garp_socket_ = std::move(*socket);
  w->announcer_ = std::make_unique<cluster::GarpAnnouncer>(
      *w->garp_socket_, cluster::GarpAnnouncer::Targets{std::move(interfaces), [&reconciler] {
                                                          return configured_vips(reconciler);
                                                        }});
  w->controller_ = std::make_unique<cluster::HaController>(
      datapath, *w->link_, *w->announcer_,
      cluster::HaControllerOptions{.cluster = !options.cluster.empty(), .self = options.self});
  if (auto ok = w->controller_->adopt(); !ok) return ok.error();
  return w;
}

HaWiring::~HaWiring() {
  // The channel first: its threads read nothing of the rest, but it is the one talking to peers.
  if (tls_link_) tls_link_->stop();
  controller_.reset();
  announcer_.reset();
}

}  // namespace xlb::daemon
