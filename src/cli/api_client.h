// The only way xlbctl reaches xlbd: HTTP to the REST API (cpp-httplib client). Errors carry
// the API's one-line message, or say that xlbd cannot be reached.
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "common/result.h"

namespace httplib {
class Client;
class Result;
}  // namespace httplib

namespace xlb::cli {

// The Error an HTTP error answer carries. A code this xlbctl does not know (a newer xlbd's)
// becomes the code of its HTTP status, so callers testing for not_found still see one.
Error error_from_reply(int status, const nlohmann::json& body);

class ApiClient {
 public:
  ApiClient(std::string host, int port);
  ~ApiClient();
  // Sends "Authorization: Bearer <token>" with every request (xlbd --api-token-file).
  void set_token(const std::string& token);

  using Query = std::multimap<std::string, std::string>;

  Result<nlohmann::json> get(const std::string& path, const Query& query = {});
  Result<nlohmann::json> post(const std::string& path, const nlohmann::json& body);
  // The body is sent as given, so the API applies its own strict JSON checks to a file.
  Result<nlohmann::json> put(const std::string& path, const std::string& body);
  Result<nlohmann::json> patch(const std::string& path, const nlohmann::json& body);
  Result<void> del(const std::string& path);
  // HTTP status of the last answer (201 created vs 200 replaced).
  int last_status() const { return last_status_; }

 private:
  std::string address_;  // "host:port" for messages
  std::unique_ptr<httplib::Client> http_;
  int last_status_ = 0;

  Result<nlohmann::json> decode(const httplib::Result& res);
};

}  // namespace xlb::cli
