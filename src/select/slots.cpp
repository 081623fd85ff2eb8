#include "select/slots.h"

#include <algorithm>
#include <numeric>

namespace xlb::select {
namespace {

// Largest-remainder scaling of weights so their sum fits `capacity`, keeping each >= 1.
std::vector<uint32_t> scaled_weights(const std::vector<uint32_t>& weights, size_t capacity) {
  uint64_t total = std::accumulate(weights.begin(), weights.end(), uint64_t{0});
  if (total <= capacity) return weights;
  std::vector<uint32_t> out(weights.size());
  uint64_t budget = capacity - weights.size();  // one slot reserved for each
  uint64_t used = 0;
  std::vector<std::pair<uint64_t, size_t>> remainders;
  for (size_t i = 0; i < weights.size(); ++i) {
    uint64_t share = weights[i] * budget;
    out[i] = 1 + static_cast<uint32_t>(share / total);
    used += share / total;
    remainders.emplace_back(share % total, i);
  }
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](auto& a, auto& b) { return a.first > b.first; });
  for (size_t k = 0; used < budget && k < remainders.size(); ++k, ++used)
    ++out[remainders[k].second];
  return out;
}

}  // namespace

std::vector<uint8_t> build_slots(const std::vector<Candidate>& candidates, bool weighted,
                                 size_t capacity) {
  std::vector<uint8_t> index;
  std::vector<uint32_t> weights;
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (!candidates[i].eligible) continue;
    index.push_back(static_cast<uint8_t>(i));
    weights.push_back(weighted ? candidates[i].weight : 1);
  }
  if (index.empty() || capacity < index.size()) return {};
  weights = scaled_weights(weights, capacity);

  // Smooth weighted round robin: each step every endpoint gains its weight, the richest is
  // chosen and pays back the total.
  int64_t total = std::accumulate(weights.begin(), weights.end(), int64_t{0});
  std::vector<int64_t> current(weights.size(), 0);
  std::vector<uint8_t> slots;
  slots.reserve(total);
  for (int64_t n = 0; n < total; ++n) {
    size_t best = 0;
    for (size_t i = 0; i < weights.size(); ++i) {
      current[i] += weights[i];
      if (current[i] > current[best]) best = i;
    }
    current[best] -= total;
    slots.push_back(index[best]);
  }
  return slots;
}

}  // namespace xlb::select
