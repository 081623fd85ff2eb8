#include "common/quote.h"

#include <nlohmann/json.hpp>

namespace xlb {

std::string quoted(std::string_view text, size_t max_chars) {
  const bool cut = text.size() > max_chars;
  const nlohmann::json value = std::string(text.substr(0, max_chars));
  std::string out = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return cut ? out + "..." : out;
}

}  // namespace xlb
