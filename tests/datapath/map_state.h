// MapState: a copy of every map a BPF program uses. The datapath tests reuse one loaded
// datapath per process (loading it is most of a test's cost: the verifier), so between tests
// the fixture puts every map back as it was right after open; and a test can compare two
// datapaths' maps (the isolation test: a reused datapath is as fresh as a new one).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace xlbtest {

class MapState {
 public:
  // Reads every map program `prog_fd` uses. Returns "" or an error sentence.
  std::string capture(int prog_fd);
  // Puts program `prog_fd`'s maps back to this state: hash maps hold exactly the captured
  // entries, arrays the captured values, map-in-map slots are emptied. Ring buffers are the
  // caller's to drain. Returns "" or an error sentence.
  std::string restore(int prog_fd) const;
  // The maps whose contents differ from `other`'s, one line each ("" when none).
  std::string differences(const MapState& other) const;

  struct Copy {
    std::string name;
    uint32_t type = 0;
    uint32_t key_size = 0;
    uint32_t value_size = 0;  // per-CPU maps: the value of every possible CPU
    uint32_t max_entries = 0;
    std::vector<std::pair<std::string, std::string>> entries;  // key, value (sorted by key)
  };

 private:
  std::vector<Copy> maps_;
};

}  // namespace xlbtest
