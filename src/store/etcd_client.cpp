#include "store/etcd_client.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <array>
#include <charconv>

#include "common/quote.h"

namespace xlb {
namespace {

constexpr std::string_view kBase64Chars =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

Error etcd_url_error(std::string_view url, const std::string& why) {
  return invalid("store",
                 "--store must be etcd://<host>:<port>[,<host>:<port>...] such as "
                 "etcd://10.0.9.5:2379,10.0.9.6:2379; " +
                     why + " in " + xlb::quoted(std::string(url)));
}

bool etcd_host_chars_ok(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  for (char c : host) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') return false;
  }
  return true;
}

template <class Duration>
void set_timeouts(httplib::Client& http, Duration connect, Duration read) {
  using std::chrono::duration_cast;
  using std::chrono::microseconds;
  const auto c = duration_cast<microseconds>(connect).count();
  http.set_connection_timeout(c / 1000000, c % 1000000);
  http.set_read_timeout(read);
  http.set_write_timeout(read);
}

// etcd's error answer: {"error": "...", "message": "...", "code": <grpc code>}.
std::string etcd_error_text(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && j.contains("message") && j["message"].is_string())
    return j["message"].get<std::string>();
  return body.substr(0, 200);
}

// gRPC codes the gateway reports: 16 unauthenticated (an expired or unknown token), 14
// unavailable (that member has no leader, or is stopping).
int etcd_error_code(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && j.contains("code") && j["code"].is_number_integer())
    return j["code"].get<int>();
  return 0;
}

// httplib's error names ("Connection", "Read") in words.
std::string etcd_transport_error(httplib::Error error) {
  switch (error) {
    case httplib::Error::Connection:
      return "cannot connect";
    case httplib::Error::Read:
      return "connection closed while reading";
    case httplib::Error::Write:
      return "connection closed while writing";
    case httplib::Error::ConnectionTimeout:
      return "connect timed out";
    case httplib::Error::SSLConnection:
      return "TLS handshake failed";
    case httplib::Error::SSLLoadingCerts:
      return "cannot load the TLS certificates";
    case httplib::Error::SSLServerVerification:
      return "its certificate failed verification";
    case httplib::Error::Canceled:
      return "canceled";
    default:
      return httplib::to_string(error);
  }
}

}  // namespace

std::string base64_encode_text(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t n =
        (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += kBase64Chars[(n >> shift) & 63];
  }
  if (i + 1 == bytes.size()) {
    const uint32_t n = uint8_t(bytes[i]) << 16;
    out += kBase64Chars[(n >> 18) & 63];
    out += kBase64Chars[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    const uint32_t n = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8);
    out += kBase64Chars[(n >> 18) & 63];
    out += kBase64Chars[(n >> 12) & 63];
    out += kBase64Chars[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode_text(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    uint32_t n = 0;
    int pad = 0;
    for (size_t k = 0; k < 4; ++k) {
      const char c = text[i + k];
      uint32_t v = 0;
      if (c == '=' && i + 4 == text.size() && k >= 2) {
        ++pad;
      } else if (pad > 0) {
        return std::nullopt;  // data after padding
      } else {
        auto pos = kBase64Chars.find(c);
        if (pos == std::string_view::npos) return std::nullopt;
        v = static_cast<uint32_t>(pos);
      }
      n = (n << 6) | v;
    }
    out += static_cast<char>((n >> 16) & 0xff);
    if (pad < 2) out += static_cast<char>((n >> 8) & 0xff);
    if (pad < 1) out += static_cast<char>(n & 0xff);
  }
  return out;
}

Result<std::vector<EtcdEndpoint>> parse_etcd_url(std::string_view url) {
  constexpr std::string_view scheme = "etcd://";
  if (url.substr(0, scheme.size()) != scheme) return etcd_url_error(url, "no etcd:// scheme");
  std::vector<EtcdEndpoint> out;
  std::string_view rest = url.substr(scheme.size());
  while (true) {
    const auto comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    const auto colon = item.rfind(':');
    if (colon == std::string_view::npos) return etcd_url_error(url, "an endpoint without :<port>");
    EtcdEndpoint ep;
    ep.host = std::string(item.substr(0, colon));
    const std::string_view port = item.substr(colon + 1);
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), ep.port);
    if (!etcd_host_chars_ok(ep.host)) return etcd_url_error(url, "a bad host name");
    if (ec != std::errc{} || end != port.data() + port.size() || ep.port < 1 || ep.port > 65535)
      return etcd_url_error(url, "a port that is not 1-65535");
    out.push_back(std::move(ep));
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return out;
}

EtcdClient::EtcdClient(EtcdClientOptions options) : options_(std::move(options)) {
  clients_.resize(options_.endpoints.size());
}

EtcdClient::~EtcdClient() = default;

std::unique_ptr<httplib::Client> EtcdClient::connect(const EtcdEndpoint& endpoint) const {
  const std::string url = (options_.tls() ? "https://" : "http://") + endpoint.text();
  auto http = options_.cert_file.empty()
                  ? std::make_unique<httplib::Client>(url)
                  : std::make_unique<httplib::Client>(url, options_.cert_file, options_.key_file);
  if (options_.tls()) {
    http->set_ca_cert_path(options_.ca_file);
    http->enable_server_certificate_verification(true);
  }
  set_timeouts(*http, options_.connect_timeout, options_.request_timeout);
  http->set_keep_alive(true);
  return http;
}

Result<std::string> EtcdClient::token(httplib::Client& http, const EtcdEndpoint& endpoint,
                                      bool renew) {
  if (options_.user.empty()) return std::string();
  const auto now = std::chrono::steady_clock::now();
  if (!renew && !token_.empty() && now - token_time_ < options_.token_renewal) return token_;
  const nlohmann::json body = {{"name", options_.user}, {"password", options_.password}};
  auto res = http.Post("/v3/auth/authenticate", body.dump(), "application/json");
  if (!res) return Error{ErrorCode::unavailable, etcd_transport_error(res.error()), "store"};
  if (res->status != 200) {
    return Error{ErrorCode::store,
                 "etcd at " + endpoint.text() + " refused user " + xlb::quoted(options_.user) +
                     ": " + etcd_error_text(res->body) +
                     "; check --store-user and --store-password-file",
                 "store"};
  }
  auto j = nlohmann::json::parse(res->body, nullptr, false);
  if (!j.is_object() || !j.contains("token") || !j["token"].is_string()) {
    return Error{ErrorCode::store,
                 "etcd at " + endpoint.text() + " answered authenticate without a token", "store"};
  }
  token_ = j["token"].get<std::string>();
  token_time_ = now;
  spdlog::debug("etcd: authenticated as {} at {}", options_.user, endpoint.text());
  return token_;
}

Result<nlohmann::json> EtcdClient::call(std::string_view api, const nlohmann::json& body) {
  std::lock_guard lock(mu_);
  const std::string path = "/v3/" + std::string(api);
  const std::string payload = body.dump();
  std::string failures;
  const size_t n = options_.endpoints.size();
  for (size_t attempt = 0; attempt < n; ++attempt) {
    const size_t index = (current_ + attempt) % n;
    const EtcdEndpoint& endpoint = options_.endpoints[index];
    if (!clients_[index]) clients_[index] = connect(endpoint);
    httplib::Client& http = *clients_[index];
    for (bool renewed = false;;) {
      auto auth = token(http, endpoint, renewed);
      if (!auth) {
        if (auth.error().code != ErrorCode::unavailable) return auth.error();
        failures +=
            (failures.empty() ? "" : ", ") + endpoint.text() + " (" + auth.error().message + ")";
        break;
      }
      httplib::Headers headers;
      if (!auth->empty()) headers.emplace("Authorization", *auth);
      auto res = http.Post(path, headers, payload, "application/json");
      if (!res) {
        failures += (failures.empty() ? "" : ", ") + endpoint.text() + " (" +
                    etcd_transport_error(res.error()) + ")";
        break;
      }
      if (res->status == 200) {
        current_ = index;
        auto j = nlohmann::json::parse(res->body, nullptr, /*allow_exceptions=*/false);
        if (!j.is_object()) {
          return Error{ErrorCode::store,
                       "etcd at " + endpoint.text() + " answered " + path +
                           " with something that is not a JSON object",
                       "store"};
        }
        return j;
      }
      const int code = etcd_error_code(res->body);
      if (code == 16 && !options_.user.empty() && !renewed) {
        renewed = true;  // the token expired: fetch another and try once more
        continue;
      }
      if (code == 14 || res->status == 503) {
        failures += (failures.empty() ? "" : ", ") + endpoint.text() + " (" +
                    etcd_error_text(res->body) + ")";
        break;
      }
      current_ = index;
      return Error{
          ErrorCode::store,
          "etcd at " + endpoint.text() + " refused " + path + ": " + etcd_error_text(res->body),
          "store"};
    }
  }
  return Error{ErrorCode::unavailable, "etcd is unreachable: " + failures, "store"};
}

Result<void> EtcdClient::stream(std::string_view api, const nlohmann::json& body,
                                const std::function<bool(const nlohmann::json&)>& on_message) {
  EtcdEndpoint endpoint;
  std::string auth_header;
  {
    std::lock_guard lock(mu_);
    endpoint = options_.endpoints[current_ % options_.endpoints.size()];
  }
  auto http = connect(endpoint);
  set_timeouts(*http, options_.connect_timeout, options_.watch_idle_timeout);
  http->set_keep_alive(false);
  {
    std::lock_guard lock(mu_);
    auto auth = token(*http, endpoint, false);
    if (!auth) {
      if (auth.error().code != ErrorCode::unavailable) return auth.error();
      return Error{ErrorCode::unavailable,
                   "etcd at " + endpoint.text() + " is unreachable (" + auth.error().message + ")",
                   "store"};
    }
    auth_header = *auth;
  }
  {
    std::lock_guard lock(stream_mu_);
    if (stream_stopped_.exchange(false)) return Error{ErrorCode::unavailable, "watch stopped", ""};
    streaming_ = http.get();
  }
  httplib::Request req;
  req.method = "POST";
  req.path = "/v3/" + std::string(api);
  req.body = body.dump();
  req.set_header("Content-Type", "application/json");
  // etcd's WithRequireLeader, through the gateway: a member that loses its leader (cut off
  // from the others) cancels the watch instead of leaving this node silently stale.
  req.set_header("Grpc-Metadata-hasleader", "true");
  if (!auth_header.empty()) req.set_header("Authorization", auth_header);
  std::string buffer;
  bool stopped_by_reader = false;
  int status = 0;
  std::string error_body;
  req.response_handler = [&status](const httplib::Response& r) {
    status = r.status;
    return true;
  };
  req.content_receiver = [&](const char* data, size_t size, uint64_t, uint64_t) {
    if (status != 200) {
      error_body.append(data, size);
      return error_body.size() < 4096;
    }
    buffer.append(data, size);
    size_t start = 0;
    for (auto nl = buffer.find('\n', start); nl != std::string::npos;
         nl = buffer.find('\n', start)) {
      auto j = nlohmann::json::parse(std::string_view(buffer).substr(start, nl - start), nullptr,
                                     /*allow_exceptions=*/false);
      start = nl + 1;
      if (j.is_discarded()) continue;  // blank keep-alive lines
      if (!on_message(j)) {
        stopped_by_reader = true;
        return false;
      }
    }
    buffer.erase(0, start);
    // One message is a revision's events; a megabyte unterminated is not etcd's.
    return buffer.size() < (64u << 20);
  };
  auto res = http->send(req);
  {
    std::lock_guard lock(stream_mu_);
    streaming_ = nullptr;
    if (stream_stopped_.exchange(false)) stopped_by_reader = true;  // stop_stream() ended it
  }
  if (stopped_by_reader) return Ok{};
  if (status != 0 && status != 200) {
    return Error{
        ErrorCode::store,
        "etcd at " + endpoint.text() + " refused the watch: " + etcd_error_text(error_body),
        "store"};
  }
  std::string why = res ? "the stream ended" : etcd_transport_error(res.error());
  return Error{ErrorCode::unavailable, "watch on etcd at " + endpoint.text() + " ended: " + why,
               "store"};
}

void EtcdClient::stop_stream() {
  std::lock_guard lock(stream_mu_);
  // Under way: stream() returns Ok once the connection closes; else the next stream() returns
  // at once.
  stream_stopped_ = true;
  if (streaming_) streaming_->stop();
}

std::string EtcdClient::current_endpoint() const {
  std::lock_guard lock(mu_);
  return options_.endpoints[current_ % options_.endpoints.size()].text();
}

}  // namespace xlb
