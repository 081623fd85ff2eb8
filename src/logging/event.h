// Structured log events: a fixed message plus named fields. Text logs read
// `rule created: rule=web vip=20.20.20.1 endpoints="10.1.2.10:8080 w1 up #0"`; with
// --log-format=json each field is a member of the line's object (see json_formatter.h), so
// configuration changes and health transitions can be filtered by rule or endpoint.
#pragma once

#include <spdlog/spdlog.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace xlb::logging {

using Fields = std::vector<std::pair<std::string, std::string>>;

void event(spdlog::level::level_enum level, std::string_view message, const Fields& fields);

// The event being logged on this thread, or null: read by the JSON formatter, which runs on
// the logging thread before event() returns (xlbd's loggers are synchronous).
struct CurrentEvent {
  std::string_view message;
  const Fields* fields;
};
const CurrentEvent* current_event();

// `key=value` pairs; values with spaces, quotes or nothing are double-quoted with \" and \\.
std::string logfmt(const Fields& fields);

}  // namespace xlb::logging
