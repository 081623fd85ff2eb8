#include "daemon/aging_loop.h"

#include <spdlog/spdlog.h>

#include <unordered_map>

#include "datapath/clock.h"

namespace xlb::daemon {

AgingLoop::AgingLoop(Datapath& datapath, const Reconciler& reconciler, unsigned interval_s,
                     CtSummaryCache& summaries, const RstSocket* rst)
    : datapath_(datapath),
      reconciler_(reconciler),
      interval_s_(interval_s ? interval_s : 1),
      summaries_(summaries),
      rst_(rst) {}

AgingLoop::~AgingLoop() { stop(); }

void AgingLoop::start() {
  thread_ = std::thread([this] { run(); });
}

void AgingLoop::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void AgingLoop::run() {
  std::unique_lock lock(mu_);
  while (!wake_.wait_for(lock, std::chrono::seconds(interval_s_), [this] { return stopping_; })) {
    lock.unlock();
    // One snapshot of the rules per pass: the ager asks per flow, the reconciler is not
    // locked per flow.
    std::unordered_map<uint32_t, uint32_t> timeouts;
    std::vector<uint32_t> ids;
    for (auto [id, timeout] : reconciler_.rule_timeouts()) {
      timeouts[id] = timeout;
      ids.push_back(id);
    }
    uint64_t resets = 0;
    CtAger::OnExpire on_expire;
    if (rst_) on_expire = [this, &resets](const ExpiredTcpFlow& f) { resets += rst_->reset(f); };
    CtAger ager(
        datapath_, CtTimeouts{},
        [&timeouts](uint32_t id) {
          auto it = timeouts.find(id);
          return it == timeouts.end() ? 0u : it->second;
        },
        on_expire);
    auto report = ager.run_once(datapath_clock_ns(), ids);
    if (!report) {
      spdlog::warn("conntrack aging failed: {}", report.error().message);
    } else {
      summaries_.publish(std::move(report->summary));
      if (report->expired || report->orphans) {
        spdlog::debug(
            "conntrack aging: {} flows, {} expired ({} RSTs sent), {} orphan replies removed",
            report->flows, report->expired, resets, report->orphans);
      }
    }
    lock.lock();
  }
}

}  // namespace xlb::daemon
