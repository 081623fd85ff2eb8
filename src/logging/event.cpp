#include "logging/event.h"

namespace xlb::logging {
namespace {

thread_local const CurrentEvent* tls_event = nullptr;

bool needs_quotes(std::string_view v) {
  return v.empty() || v.find_first_of(" \"\\=") != std::string_view::npos;
}

}  // namespace

const CurrentEvent* current_event() { return tls_event; }

std::string logfmt(const Fields& fields) {
  std::string out;
  for (const auto& [key, value] : fields) {
    if (!out.empty()) out += ' ';
    out += key;
    out += '=';
    if (!needs_quotes(value)) {
      out += value;
      continue;
    }
    out += '"';
    for (char c : value) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out;
}

void event(spdlog::level::level_enum level, std::string_view message, const Fields& fields) {
  auto logger = spdlog::default_logger_raw();
  if (!logger->should_log(level)) return;
  const CurrentEvent current{message, &fields};
  tls_event = &current;
  logger->log(level, "{}: {}", message, logfmt(fields));
  tls_event = nullptr;
}

}  // namespace xlb::logging
