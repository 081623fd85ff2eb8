// --log-format=json: one JSON object per line, {"time","level","msg"} plus the fields of a
// structured event (logging::event); plain spdlog calls carry their text in "msg" only.
#pragma once

#include <spdlog/formatter.h>

#include <memory>

namespace xlb::logging {

class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;
};

}  // namespace xlb::logging
