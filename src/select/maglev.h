// Maglev consistent hashing (Eisenbud et al., NSDI 2016): a lookup table in which every
// eligible endpoint owns about its weighted share of entries, and removing one of N endpoints
// moves only about 1/N of them. Built here, pushed to the datapath as a table.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace xlb::select {

struct MaglevBackend {
  uint32_t index = 0;  // the endpoint's index in the rule (what the table stores)
  std::string id;      // stable identity, e.g. "10.0.0.2:8080": placement depends only on it
  uint32_t weight = 1;
};

// `size` must be prime (see is_prime) and larger than the number of backends. The same
// backends, size and seed give the same table on every node, in whatever order they are
// listed. Weight 0 owns no entry. Empty input (or all weights 0) → empty table.
std::vector<uint32_t> build_maglev(const std::vector<MaglevBackend>& backends, uint32_t size,
                                   uint64_t seed = 0);

bool is_prime(uint32_t n);

}  // namespace xlb::select
