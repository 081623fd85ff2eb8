#include "proxy/balancer.h"

#include <functional>

#include "model/limits.h"
#include "select/maglev.h"
#include "select/slots.h"

extern "C" {
#include "xlb/abi/service.h"
}

namespace xlb::proxy {

RuleBalancer::RuleBalancer(const model::Service& rule)
    : select_(rule.select),
      in_flight_(rule.endpoints.size(), 0),
      persist_for_(rule.persist_timeout_s ? rule.persist_timeout_s
                                          : model::kDefaultPersistTimeoutS) {
  std::vector<select::Candidate> candidates;
  std::vector<select::MaglevBackend> backends;
  for (size_t i = 0; i < rule.endpoints.size(); ++i) {
    const model::Endpoint& ep = rule.endpoints[i];
    const bool up = ep.state == model::EndpointState::up;
    weights_.push_back(ep.weight);
    eligible_.push_back(up);
    candidates.push_back({ep.weight, up});
    if (up) {
      backends.push_back(
          {static_cast<uint32_t>(i), ep.ip + ":" + std::to_string(ep.port), ep.weight});
    }
  }
  slots_ = select::build_slots(candidates, select_ != model::Select::rr, XLB_SELECT_SLOTS);
  if (select_ == model::Select::maglev) {
    maglev_ = select::build_maglev(backends,
                                   rule.maglev_size ? rule.maglev_size : model::kDefaultMaglevSize);
  }
}

std::optional<size_t> RuleBalancer::pick(const std::string& client,
                                         std::chrono::steady_clock::time_point now) {
  if (slots_.empty()) return std::nullopt;
  const size_t hash = std::hash<std::string>{}(client);
  switch (select_) {
    case model::Select::rr:
    case model::Select::priority:
      return slots_[counter_++ % slots_.size()];
    case model::Select::hash:
      return slots_[hash % slots_.size()];
    case model::Select::maglev:
      if (maglev_.empty()) return slots_[hash % slots_.size()];
      return maglev_[hash % maglev_.size()];
    case model::Select::persist: {
      auto it = affinity_.find(client);
      if (it != affinity_.end() && it->second.until > now && eligible_[it->second.index]) {
        it->second.until = now + persist_for_;
        return it->second.index;
      }
      if (affinity_.size() >= kMaxAffinities) affinity_.clear();
      const size_t chosen = slots_[hash % slots_.size()];
      affinity_[client] = {chosen, now + persist_for_};
      return chosen;
    }
    case model::Select::lc: {
      std::optional<size_t> best;
      for (size_t n = 0; n < eligible_.size(); ++n) {
        const size_t i = (counter_ + n) % eligible_.size();  // ties go round
        if (!eligible_[i]) continue;
        // in_flight / weight, compared without division.
        if (!best ||
            uint64_t{in_flight_[i]} * weights_[*best] < uint64_t{in_flight_[*best]} * weights_[i])
          best = i;
      }
      ++counter_;
      return best;
    }
  }
  return std::nullopt;
}

void RuleBalancer::started(size_t index) {
  if (index < in_flight_.size()) ++in_flight_[index];
}

void RuleBalancer::finished(size_t index) {
  if (index < in_flight_.size() && in_flight_[index] > 0) --in_flight_[index];
}

}  // namespace xlb::proxy
