#include "bgp/bgp_controller.h"

#include <arpa/inet.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/file_io.h"
#include "common/ip.h"

namespace xlb::bgp {

BgpController::BgpController(BgpSpeaker& speaker, BgpControllerOptions options)
    : speaker_(speaker), options_(std::move(options)), announcer_(speaker) {}

BgpController::~BgpController() { stop(); }

Result<void> BgpController::start() {
  std::error_code ec;
  if (std::filesystem::exists(file_path(), ec)) {
    std::ifstream in(file_path(), std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    auto cfg = bgp_config_from_file_text(text.str());
    if (!cfg) {
      return Error{ErrorCode::store,
                   "BGP settings " + file_path() + " are invalid: " + cfg.error().message +
                       "; fix the file or move it away",
                   ""};
    }
    std::lock_guard lock(mu_);
    config_ = std::move(*cfg);
  }
  if (speaker_.configurable()) {
    std::lock_guard lock(mu_);
    XLB_TRY(speaker_.configure(config_));
  }
  loop_ = std::thread([this] { loop(); });
  return Ok{};
}

void BgpController::stop() {
  {
    std::lock_guard lock(loop_mu_);
    if (stopped_) return;
    stopped_ = stopping_ = true;
  }
  loop_cv_.notify_all();
  if (loop_.joinable()) loop_.join();
  std::lock_guard lock(sync_mu_);
  if (options_.keep_on_exit) {
    spdlog::info("bgp: keeping {} route(s) announced (--bgp-keep-on-exit)",
                 announcer_.announced().size());
  } else {
    announcer_.withdraw_all();
  }
}

void BgpController::loop() {
  std::unique_lock lock(loop_mu_);
  while (!stopping_) {
    lock.unlock();
    sync_now();
    lock.lock();
    loop_cv_.wait_for(lock, options_.period, [this] { return stopping_; });
  }
}

void BgpController::sync_now() {
  Routes desired = options_.inputs ? desired_routes(options_.inputs()) : Routes{};
  std::lock_guard lock(sync_mu_);
  announcer_.sync(desired);
}

Routes BgpController::announced() const {
  std::lock_guard lock(sync_mu_);
  return announcer_.announced();
}

std::optional<BgpGlobal> BgpController::global() const {
  std::lock_guard lock(mu_);
  return config_.global;
}

Result<void> BgpController::change(const std::function<Result<void>(BgpConfig&)>& edit) {
  std::lock_guard lock(mu_);
  BgpConfig next = config_;
  XLB_TRY(edit(next));
  std::sort(next.neighbors.begin(), next.neighbors.end(), [](const auto& a, const auto& b) {
    auto ia = parse_ipv4(a.address), ib = parse_ipv4(b.address);
    return ntohl(ia ? ia->w[0] : 0) < ntohl(ib ? ib->w[0] : 0);
  });
  XLB_TRY(speaker_.configure(next));
  if (auto saved = replace_file(file_path(), bgp_config_file_text(next), 0600); !saved) {
    if (auto back = speaker_.configure(config_); !back)
      spdlog::error("bgp: cannot restore the previous settings: {}", back.error().message);
    return saved.error();
  }
  config_ = std::move(next);
  return Ok{};
}

Result<void> BgpController::set_global(const BgpGlobal& g) {
  return change([&g](BgpConfig& cfg) -> Result<void> {
    cfg.global = g;
    return Ok{};
  });
}

Result<void> BgpController::delete_global() {
  return change([](BgpConfig& cfg) -> Result<void> {
    if (!cfg.global) return Error{ErrorCode::not_found, "no bgpglobal is configured", ""};
    cfg.global.reset();
    return Ok{};
  });
}

Result<void> BgpController::add_neighbor(const BgpNeighbor& n) {
  return change([&n](BgpConfig& cfg) -> Result<void> {
    if (cfg.neighbor(n.address)) {
      return Error{ErrorCode::conflict,
                   "bgpneighbor " + n.address +
                       " exists; delete it first (xlbctl delete bgpneighbor " + n.address + ")",
                   "address"};
    }
    cfg.neighbors.push_back(n);
    return Ok{};
  });
}

Result<void> BgpController::delete_neighbor(const std::string& spelled) {
  // Stored canonical: 2001:DB8::0:1 deletes 2001:db8::1.
  const std::string address = canonical_ip(spelled);
  return change([&address](BgpConfig& cfg) -> Result<void> {
    auto it = std::find_if(cfg.neighbors.begin(), cfg.neighbors.end(),
                           [&](const BgpNeighbor& n) { return n.address == address; });
    if (it == cfg.neighbors.end())
      return Error{ErrorCode::not_found, "no bgpneighbor " + address, "address"};
    cfg.neighbors.erase(it);
    return Ok{};
  });
}

Result<std::vector<BgpNeighborStatus>> BgpController::neighbors() const {
  BgpConfig cfg;
  {
    std::lock_guard lock(mu_);
    cfg = config_;
  }
  std::vector<BgpPeerState> peers;
  if (speaker_.configurable() && !cfg.global) {
    // No gobgpd runs without a global: every neighbour is idle.
  } else {
    auto listed = speaker_.peers();
    if (!listed) return listed.error();
    peers = std::move(*listed);
  }
  std::vector<BgpNeighborStatus> out;
  for (const auto& n : cfg.neighbors) {
    BgpNeighborStatus s;
    s.config = n;
    s.state = "Idle";
    for (const auto& p : peers) {
      if (p.address != n.address) continue;
      s.state = p.state;
      s.uptime_s = p.uptime_s;
      s.advertised = p.advertised;
    }
    out.push_back(std::move(s));
  }
  if (!speaker_.configurable()) {  // an operator's gobgpd: its own neighbours
    for (const auto& p : peers) {
      BgpNeighborStatus s;
      s.config.address = p.address;
      s.config.remote_as = p.remote_as;
      s.state = p.state;
      s.uptime_s = p.uptime_s;
      s.advertised = p.advertised;
      out.push_back(std::move(s));
    }
  }
  return out;
}

}  // namespace xlb::bgp
