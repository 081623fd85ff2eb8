#include "proxy/control.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

#include "model/json.h"
#include "model/validate.h"

namespace xlb::proxy {
namespace {

Error channel_error(const char* what) {
  return Error{ErrorCode::internal,
               std::string("control channel: ") + what + ": " + std::strerror(errno), ""};
}

bool write_all(int fd, const char* data, size_t n) {
  while (n > 0) {
    const ssize_t w = send(fd, data, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    data += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// 1: done, 0: the other end closed before the first byte, -1: error.
int read_all(int fd, char* data, size_t n) {
  size_t got = 0;
  while (got < n) {
    const ssize_t r = read(fd, data + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0 && got == 0) return 0;
    if (r <= 0) return -1;
    got += static_cast<size_t>(r);
  }
  return 1;
}

}  // namespace

Result<void> send_message(int fd, const nlohmann::json& message) {
  const std::string body = message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (body.size() > kMaxControlMessage)
    return Error{ErrorCode::limit_exceeded, "control message too large", ""};
  const uint32_t n = static_cast<uint32_t>(body.size());
  const unsigned char len[4] = {static_cast<unsigned char>(n >> 24),
                                static_cast<unsigned char>(n >> 16),
                                static_cast<unsigned char>(n >> 8), static_cast<unsigned char>(n)};
  if (!write_all(fd, reinterpret_cast<const char*>(len), 4) ||
      !write_all(fd, body.data(), body.size()))
    return channel_error("send");
  return Ok{};
}

Result<nlohmann::json> receive_message(int fd) {
  unsigned char len[4];
  const int head = read_all(fd, reinterpret_cast<char*>(len), 4);
  if (head == 0) return Error{ErrorCode::not_found, "control channel closed", ""};
  if (head < 0) return channel_error("receive");
  const size_t n = (size_t{len[0]} << 24) | (size_t{len[1]} << 16) | (size_t{len[2]} << 8) | len[3];
  if (n > kMaxControlMessage)
    return Error{ErrorCode::limit_exceeded, "control message too large", ""};
  std::string body(n, '\0');
  if (read_all(fd, body.data(), n) != 1) return channel_error("receive");
  auto parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return invalid("message", "control message is not JSON");
  return parsed;
}

nlohmann::json config_message(const ProxyConfig& config) {
  nlohmann::json rules = nlohmann::json::array();
  for (const auto& r : config.rules) rules.push_back(model::to_json(r));
  return {{"op", "config"}, {"limits", to_json(config.limits)}, {"rules", std::move(rules)}};
}

Result<ProxyConfig> config_from_message(const nlohmann::json& message) {
  if (!message.is_object() || !message.contains("rules") || !message["rules"].is_array())
    return invalid("rules", "config message without a rules array");
  ProxyConfig out;
  if (message.contains("limits")) {
    auto limits = limits_from_json(message["limits"]);
    if (!limits) return limits.error();
    out.limits = *limits;
  }
  std::set<model::ServiceKey> keys;
  for (const auto& j : message["rules"]) {
    auto rule = model::service_from_json(j);
    if (!rule) return rule.error();
    XLB_TRY(model::validate(*rule));
    if (!model::is_l7(*rule)) return invalid("mode", "a rule of the proxy must be fullproxy");
    if (!keys.insert(rule->key).second) return invalid("rules", "a rule is listed twice");
    out.rules.push_back(std::move(*rule));
  }
  return out;
}

}  // namespace xlb::proxy
