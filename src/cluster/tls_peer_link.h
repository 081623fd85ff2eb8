// The real peer channel: TCP on --cluster-port (22222, as loxilb) between the --cluster nodes,
// authenticated by TLS-PSK (psk_tls.h), carrying the wire format of wire.h.
//
// Each node dials every peer and sends its states over that connection (a hello, then its HA
// states at once on every change and as a heartbeat); it accepts the peers' connections and
// reads theirs. Two one-way connections instead of one shared: no tie-break between nodes
// dialing each other at once, and conntrack sync streams on the dialed connection.
//
// The port accepts only the --cluster addresses and only peers holding the key; a peer that
// sends anything malformed is disconnected and nothing of that read is applied; buffers are
// bounded by the wire format's frame limit. A peer silent for longer than silence_limit counts
// as disconnected.
//
// With conntrack sync (a SyncChannel), the dialed connection also carries this node's flows: a
// full dump and its end right after the hello, then the queued flow events as they come and a
// refresh of live flows every refresh interval. What a peer's connection carries goes to the
// SyncChannel after the read decoded whole; until the peer's dump has ended, its resync runs.
#pragma once

#include <spdlog/common.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cluster/peer_link.h"
#include "cluster/psk_tls.h"
#include "cluster/sync_channel.h"
#include "cluster/wire.h"

namespace xlb::cluster {

struct PeerAddress {
  std::string ip;  // IPv4, as in --cluster
  uint16_t port = 0;
};

struct ClusterLinkOptions {
  std::string listen_ip = "0.0.0.0";
  uint16_t listen_port = 22222;  // 0: any free port (tests)
  std::vector<PeerAddress> peers;
  uint32_t self = 0;     // --self, sent in the hello
  std::string software;  // "xlb <version>", sent in the hello
  std::chrono::milliseconds heartbeat{250};
  // A peer not heard from for this long is disconnected (keepalived fails over in ~0.4 s; a
  // cut peer must not look connected for long after).
  std::chrono::milliseconds silence_limit{1000};
  std::chrono::milliseconds connect_timeout{1000};
  std::chrono::milliseconds handshake_timeout{2000};
  std::chrono::milliseconds retry{500};  // between attempts to reach a peer
};

class TlsPeerLink final : public PeerLink {
 public:
  // `sync`, when given, must outlive the link.
  TlsPeerLink(ClusterLinkOptions options, std::shared_ptr<const ClusterTls> tls,
              SyncChannel* sync = nullptr);
  ~TlsPeerLink() override;
  TlsPeerLink(const TlsPeerLink&) = delete;
  TlsPeerLink& operator=(const TlsPeerLink&) = delete;

  // Listens (a busy port fails here, naming it and the fix), then accepts and dials on threads
  // of its own.
  Result<void> start();
  // Closes every connection and joins the threads.
  void stop();
  uint16_t port() const { return bound_port_; }

  void publish(const LocalStates& states) override;
  std::vector<PeerStatus> peers() const override;
  ClusterRejects rejects() const override;

 private:
  struct PeerSlot {
    PeerAddress address;
    PeerStatus status;
    std::chrono::steady_clock::time_point last_heard{};
    TlsConn* inbound = nullptr;   // the peer's connection to us, while up
    TlsConn* outbound = nullptr;  // ours to the peer, while up
    std::string inbound_error;    // why its connection to us is down; empty while up
    std::string outbound_error;   // why ours to it is down
    std::string last_logged;      // the last line logged about this peer: log changes only
  };
  struct Worker {
    std::thread thread;
    std::shared_ptr<bool> done;  // guarded by mu_
  };

  void accept_loop();
  void serve_inbound(int fd, size_t peer);
  void dial_loop(size_t peer);
  // Dials `peer` once, sends the hello and then states until the connection fails.
  void report_to(size_t peer);
  // Sends this node's states on `conn` at once, on every publish() and each heartbeat, and with
  // conntrack sync its full dump, then its flow events and refreshes; returns why it stopped.
  std::string send_states(size_t peer, TlsConn& conn);
  enum class Direction { inbound, outbound };
  // Records and logs why a channel to or from `peer` is down (under mu_).
  void record_failure(size_t peer, Direction direction, const std::string& why);
  Result<int> connect_to(const PeerAddress& address);
  // Reads from `conn` until `reader` yields a hello; the error says why it did not.
  Result<wire::Hello> read_hello(TlsConn& conn, wire::FrameReader& reader,
                                 std::vector<wire::Message>& rest);
  // Applies what an authenticated peer sent (under mu_), if `conn` is still its connection.
  // Returns false when `conn` no longer speaks for the peer.
  bool apply(size_t peer, const TlsConn* conn, const std::vector<wire::Message>& messages);
  // Hands the sync records of one read to the SyncChannel (under no lock).
  void apply_sync(size_t peer, const TlsConn* conn, const std::vector<wire::Message>& messages);
  // Logs `line` about `peer` unless it is the same as the last one (under mu_).
  void note(size_t peer, spdlog::level::level_enum level, const std::string& line);
  void track_fd(int fd);
  void untrack_fd(int fd);
  void reap_workers();  // joins finished inbound workers (under no lock)
  bool stopping() const;

  ClusterLinkOptions options_;
  std::shared_ptr<const ClusterTls> tls_;
  SyncChannel* sync_ = nullptr;
  int listen_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: wakes the accept loop for stop()
  uint16_t bound_port_ = 0;

  mutable std::mutex mu_;
  std::condition_variable cv_;  // publish() and stop() wake the dialers
  bool stopping_ = false;
  std::vector<PeerSlot> slots_;
  LocalStates local_;
  uint64_t published_generation_ = 0;
  uint64_t sync_generation_ = 0;  // bumped whenever the SyncChannel queues records
  ClusterRejects rejects_;
  std::set<int> live_fds_;  // shut down by stop() so blocked calls return
  std::chrono::steady_clock::time_point last_refusal_log_{};
  std::list<Worker> workers_;

  std::thread acceptor_;
  std::vector<std::thread> dialers_;
};

}  // namespace xlb::cluster
