#include "cluster/ct_sync.h"

#include <spdlog/spdlog.h>

#include "datapath/clock.h"

namespace xlb::cluster {
namespace {

// A record about a rule or endpoint not found re-reads the rules, but not more often than this.
constexpr auto kRulesMissRereadAfter = std::chrono::milliseconds(100);
constexpr int kPumpWaitMs = 100;  // the pump's longest wait: how soon stop() is noticed
// Ages travel in whole seconds, so a flow's own echo can look up to two seconds younger than the
// entry it came from: a record is news only when its last packet is later than this.
constexpr uint64_t kNewerByNs = 2000000000ull;

std::vector<uint8_t> batch_frame(std::vector<wire::SyncRecord> records, uint32_t delay_ms) {
  return wire::encode(wire::FlowBatch{delay_ms, std::move(records)});
}

}  // namespace

CtSync::CtSync(Datapath& datapath, CtSyncOptions options)
    : datapath_(datapath), options_(std::move(options)), peers_(options_.peers) {
  if (!options_.monotonic_ns) options_.monotonic_ns = datapath_clock_ns;
  for (auto& p : peers_) {
    p.status.enabled = true;
    p.tokens = options_.max_records_per_second;
  }
}

CtSync::~CtSync() { stop(); }

Result<void> CtSync::start() {
  XLB_TRY(datapath_.set_flow_events(true));
  pump_ = std::thread([this] {
    while (!stopping_) {
      if (auto n = pump_events(kPumpWaitMs); !n) {
        spdlog::warn("conntrack sync: reading flow events failed: {}", n.error().message);
        std::this_thread::sleep_for(std::chrono::milliseconds(kPumpWaitMs));
      }
    }
  });
  return Ok{};
}

void CtSync::stop() {
  stopping_ = true;
  if (pump_.joinable()) pump_.join();
}

void CtSync::set_wakeup(std::function<void()> wakeup) {
  std::lock_guard lock(wakeup_mu_);
  wakeup_ = std::move(wakeup);
}

void CtSync::wake_senders() {
  std::lock_guard lock(wakeup_mu_);  // held while calling: set_wakeup(nullptr) waits for it
  if (wakeup_) wakeup_();
}

Result<size_t> CtSync::pump_events(int timeout_ms) {
  std::vector<wire::SyncRecord> records;
  const uint64_t now_ns = options_.monotonic_ns();
  auto polled = datapath_.poll_flow_events(timeout_ms, [&](const Datapath::FlowEvent& ev) {
    auto record = ev.kind == Datapath::FlowEvent::Kind::closed
                      ? closed_record(ev.key)
                      : flow_record(ev.key, ev.entry, now_ns);
    if (record) records.push_back(*record);
  });
  if (!polled) return polled.error();
  if (records.empty()) return *polled;
  {
    std::lock_guard lock(mu_);
    const auto at = Steady::now();
    for (auto& peer : peers_) {
      if (!peer.outbound) continue;
      for (const auto& r : records) {
        if (peer.queue.size() >= options_.max_queued_records) {
          ++peer.status.queue_dropped;
          continue;
        }
        peer.queue.push_back({r, at});
      }
    }
  }
  wake_senders();
  return *polled;
}

void CtSync::outbound_up(size_t peer) {
  std::lock_guard lock(mu_);
  peers_.at(peer).outbound = true;
  peers_[peer].queue.clear();
}

void CtSync::outbound_down(size_t peer) {
  std::lock_guard lock(mu_);
  peers_.at(peer).outbound = false;
  peers_[peer].queue.clear();
}

bool CtSync::has_queued(size_t peer) const {
  std::lock_guard lock(mu_);
  return !peers_.at(peer).queue.empty();
}

std::vector<std::vector<uint8_t>> CtSync::take_frames(size_t peer) {
  std::deque<Queued> taken;
  {
    std::lock_guard lock(mu_);
    PeerState& p = peers_.at(peer);
    taken.swap(p.queue);
    for (const auto& q : taken) {
      ++(q.record.kind == wire::SyncRecord::Kind::flow ? p.status.flows_sent
                                                       : p.status.closed_sent);
    }
  }
  std::vector<std::vector<uint8_t>> frames;
  const auto now = Steady::now();
  while (!taken.empty()) {
    const size_t n = std::min(taken.size(), wire::kMaxRecordsPerBatch);
    const auto waited =
        std::chrono::duration_cast<std::chrono::milliseconds>(now - taken.front().at);
    std::vector<wire::SyncRecord> records;
    records.reserve(n);
    for (size_t i = 0; i < n; ++i) records.push_back(taken[i].record);
    taken.erase(taken.begin(), taken.begin() + static_cast<std::ptrdiff_t>(n));
    frames.push_back(batch_frame(std::move(records), static_cast<uint32_t>(waited.count())));
  }
  return frames;
}

Result<uint32_t> CtSync::walk_flows(size_t peer, bool full, const FrameSink& sink) {
  const uint64_t start_ns = options_.monotonic_ns();
  uint64_t since_ns = 0;
  {
    std::lock_guard lock(mu_);
    since_ns = peers_.at(peer).last_walk_ns;
  }
  std::vector<wire::SyncRecord> batch;
  uint32_t sent = 0;
  std::optional<Error> failed;
  auto flush = [&] {
    if (batch.empty()) return true;
    const size_t n = batch.size();
    if (auto ok = sink(batch_frame(std::move(batch), 0)); !ok) {
      failed = ok.error();
      return false;
    }
    sent += static_cast<uint32_t>(n);
    batch.clear();
    return true;
  };
  auto walked = datapath_.for_each_flow([&](const CtFlow& f) {
    if (f.syn_map) return true;
    if (!full) {
      // Live here since the last walk: packets seen by this node's datapath, not a copy a peer
      // sent (a synced entry this node has forwarded nothing for has counted no packet).
      const bool idle = f.entry.last_seen_ns <= since_ns;
      const bool untouched_copy = (f.entry.flags & XLB_CT_F_SYNCED) && f.entry.packets == 0;
      if (idle || untouched_copy) return true;
    }
    auto record = flow_record(f.key, f.entry, start_ns);
    if (!record) return true;
    batch.push_back(*record);
    return batch.size() < wire::kMaxRecordsPerBatch || flush();
  });
  if (walked && !failed) flush();
  if (failed) return *failed;
  if (!walked) return walked.error();
  std::lock_guard lock(mu_);
  PeerState& p = peers_[peer];
  p.last_walk_ns = start_ns;
  p.status.flows_sent += sent;
  if (full) ++p.status.dumps_sent;
  return sent;
}

void CtSync::inbound_up(size_t peer) {
  std::lock_guard lock(mu_);
  peers_.at(peer).status.peer_lag_seconds = 0;
}

void CtSync::dump_complete(size_t peer, const wire::EndOfDump& end) {
  std::lock_guard lock(mu_);
  peers_.at(peer).status.last_full_resync = options_.wall_now();
  spdlog::info("conntrack sync: peer #{} completed its full dump ({} flows)", peer, end.flows);
}

void CtSync::throttle(size_t peer, size_t records) {
  const double rate = options_.max_records_per_second;
  std::unique_lock lock(mu_);
  PeerState& p = peers_.at(peer);
  while (!stopping_) {
    const auto now = Steady::now();
    const double elapsed = std::chrono::duration<double>(now - p.refilled).count();
    p.tokens = std::min(rate, p.tokens + elapsed * rate);
    p.refilled = now;
    // A batch larger than a second's worth passes once the bucket is full.
    if (p.tokens >= std::min<double>(records, rate)) {
      p.tokens -= records;
      return;
    }
    const double wait_s = (std::min<double>(records, rate) - p.tokens) / rate;
    lock.unlock();
    std::this_thread::sleep_for(std::chrono::duration<double>(std::min(wait_s, 1.0)));
    lock.lock();
  }
}

std::shared_ptr<const RuleIndex> CtSync::rules(std::chrono::milliseconds max_age) {
  {
    std::lock_guard lock(mu_);
    if (rules_ && Steady::now() - rules_read_ < max_age) return rules_;
  }
  auto services = datapath_.list_services();
  auto index =
      services ? std::make_shared<const RuleIndex>(*services) : std::make_shared<const RuleIndex>();
  if (!services)
    spdlog::warn("conntrack sync: cannot read the rules: {}", services.error().message);
  std::lock_guard lock(mu_);
  rules_ = index;
  rules_read_ = Steady::now();
  return rules_;
}

CtSync::RecordFate CtSync::apply_record(const wire::SyncRecord& r, uint64_t now_ns) {
  auto index = rules(options_.rules_max_age);
  if (r.kind == wire::SyncRecord::Kind::closed) {
    if (!index->find(r.family, r.vip, r.vip_port, r.proto) &&
        !rules(kRulesMissRereadAfter)->find(r.family, r.vip, r.vip_port, r.proto)) {
      return SyncRejectReason::unknown_rule;
    }
    if (!datapath_.remove_synced_flow(record_key(r))) return SyncRejectReason::datapath;
    return Written{};
  }
  auto mapped = map_flow_record(r, *index, now_ns);
  if (std::holds_alternative<SyncRejectReason>(mapped)) {
    const auto reason = std::get<SyncRejectReason>(mapped);
    // Rules change: one just added here may not be in the index yet.
    if (reason != SyncRejectReason::unknown_rule && reason != SyncRejectReason::unknown_endpoint)
      return reason;
    mapped = map_flow_record(r, *rules(kRulesMissRereadAfter), now_ns);
    if (std::holds_alternative<SyncRejectReason>(mapped)) return std::get<SyncRejectReason>(mapped);
  }
  const auto& flow = std::get<MappedFlow>(mapped);
  // Newest wins: an entry here that saw a packet as recently is at least as current (the peer
  // echoing this node's own flow back in its dump, or a refresh older than what this node has
  // forwarded since). Writing it would move the entry's state and clock back.
  if (auto held = datapath_.lookup_flow(flow.key);
      held && *held && (*held)->dir == XLB_DIR_ORIG &&
      (*held)->last_seen_ns + kNewerByNs >= flow.orig.last_seen_ns) {
    return Stale{};
  }
  if (auto ok = datapath_.install_synced_flow(flow.key, flow.orig); !ok) {
    return ok.error().code == ErrorCode::already_exists ? SyncRejectReason::conflict
                                                        : SyncRejectReason::datapath;
  }
  return Written{};
}

void CtSync::receive(size_t peer, const wire::FlowBatch& batch) {
  throttle(peer, batch.records.size());
  const uint64_t now_ns = options_.monotonic_ns();
  SyncRejects rejects;
  uint64_t flows = 0, closed = 0, stale = 0;
  for (const auto& r : batch.records) {
    const RecordFate fate = apply_record(r, now_ns);
    if (const auto* reason = std::get_if<SyncRejectReason>(&fate)) {
      count_reject(rejects, *reason);
    } else if (std::holds_alternative<Stale>(fate)) {
      ++stale;
    } else {
      ++(r.kind == wire::SyncRecord::Kind::flow ? flows : closed);
    }
  }
  std::lock_guard lock(mu_);
  PeerSyncStatus& st = peers_.at(peer).status;
  st.flows_received += flows;
  st.closed_received += closed;
  st.stale_skipped += stale;
  st.peer_lag_seconds = batch.delay_ms / 1000.0;
  st.rejects.unknown_rule += rejects.unknown_rule;
  st.rejects.rule_differs += rejects.rule_differs;
  st.rejects.unknown_endpoint += rejects.unknown_endpoint;
  st.rejects.conflict += rejects.conflict;
  st.rejects.datapath += rejects.datapath;
}

PeerSyncStatus CtSync::status(size_t peer) const {
  std::lock_guard lock(mu_);
  const PeerState& p = peers_.at(peer);
  PeerSyncStatus st = p.status;
  if (!p.queue.empty()) {
    st.lag_seconds = std::chrono::duration<double>(Steady::now() - p.queue.front().at).count();
  }
  return st;
}

}  // namespace xlb::cluster
