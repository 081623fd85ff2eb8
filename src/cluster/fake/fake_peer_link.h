// FakePeerLink: a PeerLink whose peers the test sets (connected or not, their states, their
// resync) and which records what this node published. Thread-safe, like the real link.
#pragma once

#include <mutex>

#include "cluster/peer_link.h"

namespace xlb::cluster {

class FakePeerLink final : public PeerLink {
 public:
  void set_peers(std::vector<PeerStatus> peers);
  void set_rejects(const ClusterRejects& rejects);
  // Every publish() call, in order.
  std::vector<LocalStates> published() const;

  void publish(const LocalStates& states) override;
  std::vector<PeerStatus> peers() const override;
  ClusterRejects rejects() const override;

 private:
  mutable std::mutex mu_;
  std::vector<PeerStatus> peers_;
  ClusterRejects rejects_;
  std::vector<LocalStates> published_;
};

}  // namespace xlb::cluster
