#include "metrics/verdicts.h"

#include <array>
#include <utility>

namespace xlb::metrics {

VerdictLabels verdict_labels(std::string_view stat_name) {
  // Counter-name prefix → verdict label.
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 3> kPrefixes = {{
      {"pass_", "pass"},
      {"drop_", "drop"},
      {"fwd_", "forward"},
  }};
  for (const auto& [prefix, verdict] : kPrefixes) {
    if (stat_name.starts_with(prefix)) {
      return {std::string(verdict), std::string(stat_name.substr(prefix.size()))};
    }
  }
  return {"reply", std::string(stat_name)};
}

}  // namespace xlb::metrics
