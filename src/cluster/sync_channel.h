// What the peer channel (TlsPeerLink) asks of conntrack sync (CtSync, ct_sync.h): frames to send
// each peer beside the HA states, and where the records a peer sends go. An interface so the link
// runs without sync (tests of the link alone) and the engine is tested without the link.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "cluster/ha_status.h"
#include "cluster/wire.h"

namespace xlb::cluster {

// Writes one frame to the peer; an error ends the connection.
using FrameSink = std::function<Result<void>(const std::vector<uint8_t>& frame)>;

class SyncChannel {
 public:
  virtual ~SyncChannel() = default;

  // This node's connection to `peer` (an index into --cluster) is up: from now on flow events
  // are queued for it. Down: its queue is dropped (the next connection starts with a full dump).
  virtual void outbound_up(size_t peer) = 0;
  virtual void outbound_down(size_t peer) = 0;
  // Sends this node's flows as `flows` frames through `sink`: all of them (full, the dump after
  // a connect) or those that saw packets since the previous walk for this peer (the periodic
  // refresh). Returns the flow records sent.
  virtual Result<uint32_t> walk_flows(size_t peer, bool full, const FrameSink& sink) = 0;
  // The records queued for `peer`, as frames (none when nothing waits).
  virtual std::vector<std::vector<uint8_t>> take_frames(size_t peer) = 0;
  virtual bool has_queued(size_t peer) const = 0;
  virtual std::chrono::milliseconds refresh_interval() const = 0;
  // Called (outside the engine's lock) whenever records are queued: the link's senders wait on it.
  virtual void set_wakeup(std::function<void()> wakeup) = 0;

  // The peer's connection to this node is up (its full dump follows).
  virtual void inbound_up(size_t peer) = 0;
  // Records a peer sent, already decoded (a malformed frame never gets here): each is checked
  // against this node's rules and written or counted as rejected. May pause the caller to keep
  // the peer within its records-per-second limit.
  virtual void receive(size_t peer, const wire::FlowBatch& batch) = 0;
  // The peer's full dump ended.
  virtual void dump_complete(size_t peer, const wire::EndOfDump& end) = 0;

  virtual PeerSyncStatus status(size_t peer) const = 0;
};

}  // namespace xlb::cluster
