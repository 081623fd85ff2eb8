// ConfigText: the stored JSON text of a configuration, assembled from one serialized piece per
// rule kept between saves. Saving after a one-rule change serializes that rule only, instead of
// building (and freeing) a JSON tree of every rule: with 10,000 rules that tree was most of a
// POST's cost and left megabytes of freed memory in each API thread's malloc arena.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "model/service.h"

namespace xlb {

class ConfigText {
 public:
  // The document model::config_from_json reads back: {"services": [...], "endpoint_probes":
  // [...]}, one rule per line. Not thread-safe (the store calls it under its lock).
  const std::string& render(const model::Config& cfg);

 private:
  struct Piece {
    model::Service service;  // what `text` was made from
    std::string text;        // compact JSON of `service`
    uint64_t rendered = 0;   // last render() that used it
  };
  std::unordered_map<std::string, Piece> pieces_;  // by to_string(key)
  uint64_t renders_ = 0;
  std::string text_;  // the last document; its capacity is reused by the next render
};

}  // namespace xlb
