#include "daemon/ha_wiring.h"

#include <spdlog/spdlog.h>

#include <set>

#include "cluster/ct_sync.h"
#include "cluster/snat_ports.h"
#include "cluster/tls_peer_link.h"
#include "common/ip.h"
#include "common/token_file.h"

namespace xlb::daemon {

std::vector<IpAddress> configured_vips(const Reconciler& reconciler) {
  std::set<std::string> texts;  // one per VIP, whatever the number of its rules
  for (const auto& svc : reconciler.config().services) texts.insert(svc.key.vip);
  std::vector<IpAddress> vips;
  for (const auto& text : texts) {
    if (auto ip = parse_ip(text)) vips.push_back(*ip);
  }
  return vips;
}

namespace {

// This node's share of the FullNAT source ports; a datapath without the setting keeps the
// whole range (and says so).
Result<void> take_snat_port_share(const DaemonOptions& options, Datapath& datapath) {
  const auto nodes = static_cast<uint32_t>(options.cluster.size() + 1);
  const auto [lo, hi] = cluster::snat_port_share(options.self, nodes);
  auto set = datapath.set_snat_port_range(lo, hi);
  if (set) {
    spdlog::info("FullNAT source ports {}-{} (share {} of {}, by --self)", lo, hi,
                 options.self % nodes, nodes);
    return Ok{};
  }
  if (set.error().code != ErrorCode::not_supported) return set.error();
  spdlog::warn("FullNAT source ports are not split between the nodes: {}", set.error().message);
  return Ok{};
}

// Conntrack sync, or nullptr (with a warning) when the datapath reports no flow events.
Result<std::unique_ptr<cluster::CtSync>> start_ct_sync(const DaemonOptions& options,
                                                       Datapath& datapath) {
  cluster::CtSyncOptions o;
  o.peers = options.cluster.size();
  auto sync = std::make_unique<cluster::CtSync>(datapath, o);
  if (auto ok = sync->start(); !ok) {
    if (ok.error().code != ErrorCode::not_supported) return ok.error();
    spdlog::warn("conntrack sync is off: {}", ok.error().message);
    return std::unique_ptr<cluster::CtSync>();
  }
  return sync;
}

}  // namespace

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
    XLB_TRY(take_snat_port_share(options, datapath));
    auto sync = start_ct_sync(options, datapath);
    if (!sync) return sync.error();
    w->sync_ = std::move(*sync);
    auto tls_link = std::make_unique<cluster::TlsPeerLink>(
        std::move(link), std::shared_ptr<const cluster::ClusterTls>(std::move(*tls)),
        w->sync_.get());
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
  if (sync_) sync_->stop();  // after the link: its threads call into the sync
  controller_.reset();
  announcer_.reset();
}

}  // namespace xlb::daemon
