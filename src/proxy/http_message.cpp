#include "proxy/http_message.h"

namespace xlb::proxy {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view trim_ows(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::vector<std::string_view> MessageHead::all(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& h : headers) {
    if (iequals(h.name, name)) out.push_back(h.value);
  }
  return out;
}

std::optional<std::string_view> MessageHead::one(std::string_view name) const {
  std::optional<std::string_view> found;
  for (const auto& h : headers) {
    if (!iequals(h.name, name)) continue;
    if (found) return std::nullopt;
    found = h.value;
  }
  return found;
}

size_t MessageHead::count(std::string_view name) const {
  size_t n = 0;
  for (const auto& h : headers) n += iequals(h.name, name);
  return n;
}

}  // namespace xlb::proxy
