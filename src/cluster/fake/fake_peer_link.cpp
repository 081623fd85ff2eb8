#include "cluster/fake/fake_peer_link.h"

namespace xlb::cluster {

void FakePeerLink::set_peers(std::vector<PeerStatus> peers) {
  std::lock_guard lock(mu_);
  peers_ = std::move(peers);
}

void FakePeerLink::set_rejects(const ClusterRejects& rejects) {
  std::lock_guard lock(mu_);
  rejects_ = rejects;
}

std::vector<LocalStates> FakePeerLink::published() const {
  std::lock_guard lock(mu_);
  return published_;
}

void FakePeerLink::publish(const LocalStates& states) {
  std::lock_guard lock(mu_);
  published_.push_back(states);
}

std::vector<PeerStatus> FakePeerLink::peers() const {
  std::lock_guard lock(mu_);
  return peers_;
}

ClusterRejects FakePeerLink::rejects() const {
  std::lock_guard lock(mu_);
  return rejects_;
}

}  // namespace xlb::cluster
