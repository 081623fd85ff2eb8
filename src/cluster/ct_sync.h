// Conntrack sync's engine (docs/ha.md "Conntrack sync"): it turns this node's flow events into
// records queued for every peer whose connection is up, walks the conntrack for a peer's full
// dump and for the periodic refresh of live flows, and writes what peers send after checking
// each record against this node's own rules. The peer channel (TlsPeerLink) moves the frames;
// this engine never touches a socket. Thread-safe: the pump thread, the link's sender thread per
// peer and its reader thread per peer all call in.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <variant>
#include <vector>

#include "cluster/sync_channel.h"
#include "cluster/sync_mapping.h"
#include "datapath/datapath.h"

namespace xlb::cluster {

struct CtSyncOptions {
  size_t peers = 1;  // --cluster peers, indexed as the link indexes them
  // Flows that saw packets since the previous refresh are sent again this often: their ages on
  // the peer stay current (a busy flow never idles out there) and events lost to a full ring heal.
  std::chrono::milliseconds refresh{5000};
  // Records queued for one peer and not yet written, at most (bytes in flight: 51 each); beyond,
  // records are dropped and counted, and the refresh heals the flows they were about.
  size_t max_queued_records = 64 * 1024;
  // Records taken from one peer per second, at most; beyond, its reader pauses (TCP pushes back).
  uint32_t max_records_per_second = 200000;
  // This node's rules are read from the datapath again when older than this (and sooner when a
  // record names a rule or endpoint not found).
  std::chrono::milliseconds rules_max_age{1000};
  std::function<uint64_t()> monotonic_ns;  // the datapath's clock; CLOCK_MONOTONIC by default
  std::function<WallClock::time_point()> wall_now = [] { return WallClock::now(); };
};

class CtSync final : public SyncChannel {
 public:
  CtSync(Datapath& datapath, CtSyncOptions options);
  ~CtSync() override;
  CtSync(const CtSync&) = delete;
  CtSync& operator=(const CtSync&) = delete;

  // Turns the datapath's flow events on and starts the pump thread; an error changes nothing.
  Result<void> start();
  void stop();
  // One round of the pump (its thread loops on this; tests call it): waits up to timeout_ms for
  // flow events and queues a record for each for every peer whose connection is up.
  Result<size_t> pump_events(int timeout_ms);

  void outbound_up(size_t peer) override;
  void outbound_down(size_t peer) override;
  Result<uint32_t> walk_flows(size_t peer, bool full, const FrameSink& sink) override;
  std::vector<std::vector<uint8_t>> take_frames(size_t peer) override;
  bool has_queued(size_t peer) const override;
  std::chrono::milliseconds refresh_interval() const override { return options_.refresh; }
  void set_wakeup(std::function<void()> wakeup) override;
  void inbound_up(size_t peer) override;
  void receive(size_t peer, const wire::FlowBatch& batch) override;
  void dump_complete(size_t peer, const wire::EndOfDump& end) override;
  PeerSyncStatus status(size_t peer) const override;

 private:
  using Steady = std::chrono::steady_clock;
  struct Queued {
    wire::SyncRecord record;
    Steady::time_point at;
  };
  struct PeerState {
    bool outbound = false;
    std::deque<Queued> queue;
    uint64_t last_walk_ns = 0;  // the previous walk's start (the refresh's baseline)
    double tokens = 0;          // the receive limit's bucket
    Steady::time_point refilled{};
    PeerSyncStatus status;
  };

  void wake_senders();
  // Waits until `records` more from `peer` fit its per-second limit.
  void throttle(size_t peer, size_t records);
  // This node's rules, read again when older than max_age.
  std::shared_ptr<const RuleIndex> rules(std::chrono::milliseconds max_age);
  // What became of one record from a peer: written, skipped as older than this node's entry, or
  // rejected (why).
  struct Written {};
  struct Stale {};
  using RecordFate = std::variant<Written, Stale, SyncRejectReason>;
  RecordFate apply_record(const wire::SyncRecord& record, uint64_t now_ns);

  Datapath& datapath_;
  CtSyncOptions options_;
  mutable std::mutex mu_;
  std::vector<PeerState> peers_;
  // Its own lock, held while calling it, so the link can clear it before it goes away.
  std::mutex wakeup_mu_;
  std::function<void()> wakeup_;
  std::shared_ptr<const RuleIndex> rules_;
  Steady::time_point rules_read_{};
  std::atomic<bool> stopping_{false};
  std::thread pump_;
};

}  // namespace xlb::cluster
