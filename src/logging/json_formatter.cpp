#include "logging/json_formatter.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "logging/event.h"

namespace xlb::logging {
namespace {

// RFC 3339 UTC with milliseconds: 2026-11-26T07:30:01.123Z
std::string utc_time(spdlog::log_clock::time_point t) {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char text[40];
  const size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(text + n, sizeof text - n, ".%03dZ", static_cast<int>(ms % 1000));
  return text;
}

std::string level_name(spdlog::level::level_enum level) {
  const auto name = spdlog::level::to_string_view(level);
  return std::string(name.data(), name.size());
}

}  // namespace

void JsonFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  nlohmann::json line = {{"time", utc_time(msg.time)}, {"level", level_name(msg.level)}};
  if (const CurrentEvent* e = current_event()) {
    line["msg"] = e->message;
    for (const auto& [key, value] : *e->fields) line[key] = value;
  } else {
    line["msg"] = std::string_view(msg.payload.data(), msg.payload.size());
  }
  // Replace, never throw, on invalid UTF-8 (a log line may echo user input).
  const std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  dest.append(text.data(), text.data() + text.size());
  dest.push_back('\n');
}

std::unique_ptr<spdlog::formatter> JsonFormatter::clone() const {
  return std::make_unique<JsonFormatter>();
}

}  // namespace xlb::logging
