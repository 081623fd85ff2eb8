// Store: where the desired configuration lives. The file store is the embedded default; the
// interface is what a distributed store (etcd) implements later.
#pragma once

#include <optional>

#include "common/result.h"
#include "model/service.h"

namespace xlb {

class Store {
 public:
  virtual ~Store() = default;
  // nullopt when nothing was ever saved.
  virtual Result<std::optional<model::Config>> load() = 0;
  // Atomic: after a crash at any point the store holds the old or the new config, never a mix.
  virtual Result<void> save(const model::Config& cfg) = 0;
};

}  // namespace xlb
