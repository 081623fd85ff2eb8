#include "select/maglev.h"

#include <algorithm>
#include <tuple>

namespace xlb::select {
namespace {

// FNV-1a 64 with a seed folded in: simple, stable across compilers and platforms.
uint64_t fnv1a(const std::string& text, uint64_t seed) {
  uint64_t h = 0xcbf29ce484222325ull ^ seed;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  // Final avalanche so nearby ids land far apart.
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

}  // namespace

bool is_prime(uint32_t n) {
  if (n < 2) return false;
  for (uint32_t d = 2; uint64_t{d} * d <= n; ++d)
    if (n % d == 0) return false;
  return true;
}

std::vector<uint32_t> build_maglev(const std::vector<MaglevBackend>& input, uint32_t size,
                                   uint64_t seed) {
  // Backends take turns and the first to reach a free entry claims it, so the turn order
  // decides collisions: fix it by id, never by the caller's order (endpoint indexes differ
  // from node to node). A backend of weight 0 never gets a turn.
  std::vector<MaglevBackend> backends;
  for (const auto& b : input)
    if (b.weight > 0) backends.push_back(b);
  std::sort(backends.begin(), backends.end(), [](const MaglevBackend& a, const MaglevBackend& b) {
    return std::tie(a.id, a.index) < std::tie(b.id, b.index);
  });
  if (backends.empty() || size < 2 || backends.size() >= size) return {};
  // Each backend walks its own permutation of the table: offset + j * skip (mod size), a full
  // cycle because size is prime and 0 < skip < size.
  struct Walk {
    uint64_t offset, skip, next = 0;
  };
  std::vector<Walk> walks;
  uint32_t max_weight = 1;
  for (const auto& b : backends) {
    walks.push_back(
        {fnv1a(b.id, seed) % size, fnv1a(b.id, seed ^ 0x9e3779b97f4a7c15ull) % (size - 1) + 1});
    max_weight = std::max(max_weight, b.weight);
  }

  constexpr uint32_t kEmpty = UINT32_MAX;
  std::vector<uint32_t> table(size, kEmpty);
  uint32_t filled = 0;
  // Weighted turns: in round r a backend of weight w claims an entry when its credit allows,
  // so over the whole table shares follow the weights.
  std::vector<uint64_t> credit(backends.size(), 0);
  while (filled < size) {
    for (size_t i = 0; i < backends.size() && filled < size; ++i) {
      credit[i] += backends[i].weight;
      if (credit[i] < max_weight) continue;
      credit[i] -= max_weight;
      Walk& w = walks[i];
      uint64_t slot;
      do {
        slot = (w.offset + w.next * w.skip) % size;
        ++w.next;
      } while (table[slot] != kEmpty);
      table[slot] = backends[i].index;
      ++filled;
    }
  }
  return table;
}

}  // namespace xlb::select
