// In-memory Store for unit tests, with an injectable save failure.
#pragma once

#include "store/store.h"

namespace xlb {

class MemStore final : public Store {
 public:
  Result<std::optional<model::Config>> load() override { return saved; }
  Result<void> save(const model::Config& cfg) override {
    if (fail_next_save) {
      fail_next_save = false;
      return Error{ErrorCode::store, "injected store failure", ""};
    }
    saved = cfg;
    ++saves;
    return Ok{};
  }

  std::optional<model::Config> saved;
  bool fail_next_save = false;
  int saves = 0;
};

}  // namespace xlb
