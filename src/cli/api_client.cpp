#include "cli/api_client.h"

#include <httplib.h>

#include <optional>
#include <string>

namespace xlb::cli {
using nlohmann::json;

Error error_from_reply(int status, const json& body) {
  if (!body.is_object() || !body.contains("error") || !body["error"].is_object()) {
    return Error{ErrorCode::http, "xlbd answered HTTP " + std::to_string(status), ""};
  }
  const json& e = body["error"];
  const json& code = e.contains("code") ? e["code"] : json();
  const std::optional<ErrorCode> known =
      code.is_string() ? error_code_from_wire(code.get<std::string>()) : std::nullopt;
  return Error{known.value_or(error_code_for_http_status(status)),
               e.value("message", "request failed"), e.value("field", "")};
}

// The answer's JSON, or the error it reports.
Result<json> ApiClient::decode(const httplib::Result& res) {
  const std::string& address = address_;
  last_status_ = res ? res->status : 0;
  if (!res) {
    if (res.error() == httplib::Error::Connection) {
      return Error{ErrorCode::unavailable, "cannot reach xlbd at " + address + ": is it running?",
                   ""};
    }
    return Error{ErrorCode::unavailable,
                 "request to xlbd at " + address + " failed: " + httplib::to_string(res.error()),
                 ""};
  }
  json body = json::parse(res->body, nullptr, /*allow_exceptions=*/false);
  if (res->status >= 400) return error_from_reply(res->status, body);
  if (res->status == 204) return json::object();
  if (body.is_discarded()) {
    return Error{ErrorCode::http, "xlbd at " + address + " sent a reply that is not JSON", ""};
  }
  return body;
}

ApiClient::ApiClient(std::string host, int port)
    : address_(host + ":" + std::to_string(port)),
      http_(std::make_unique<httplib::Client>(host, port)) {
  http_->set_connection_timeout(3);
  http_->set_tcp_nodelay(true);  // small requests go out at once, not after a delayed ACK
  http_->set_read_timeout(60);   // a million-flow conntrack listing takes a while
}

ApiClient::~ApiClient() = default;

void ApiClient::set_token(const std::string& token) { http_->set_bearer_token_auth(token); }

Result<json> ApiClient::get(const std::string& path, const Query& query) {
  return decode(http_->Get(httplib::append_query_params(path, query)));
}

Result<json> ApiClient::post(const std::string& path, const json& body) {
  return decode(http_->Post(path, body.dump(), "application/json"));
}

Result<json> ApiClient::put(const std::string& path, const std::string& body) {
  return decode(http_->Put(path, body, "application/json"));
}

Result<json> ApiClient::patch(const std::string& path, const json& body) {
  return decode(http_->Patch(path, body.dump(), "application/json"));
}

Result<void> ApiClient::del(const std::string& path) {
  auto answer = decode(http_->Delete(path));
  if (!answer) return answer.error();
  return Ok{};
}

}  // namespace xlb::cli
