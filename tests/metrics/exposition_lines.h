// Line matching in Prometheus exposition text, for the metrics tests.
#pragma once

#include <string>

namespace xlb::metrics {

// True when `line` is one whole line of `text`.
inline bool has_line(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

}  // namespace xlb::metrics
