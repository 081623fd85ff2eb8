#include "api/bearer_auth.h"

#include <string_view>

#include "api/http_errors.h"
#include "common/token_file.h"

namespace xlb::api {
namespace {

constexpr std::string_view kScheme = "Bearer ";

bool exempt(const httplib::Request& req) {
  return (req.method == "GET" || req.method == "HEAD") && req.path == "/healthz";
}

}  // namespace

httplib::Server::HandlerResponse check_bearer_token(const std::string& token,
                                                    const httplib::Request& req,
                                                    httplib::Response& res) {
  if (token.empty() || exempt(req)) return httplib::Server::HandlerResponse::Unhandled;
  const std::string& header = req.get_header_value("Authorization");
  if (header.size() > kScheme.size() && header.compare(0, kScheme.size(), kScheme) == 0 &&
      tokens_equal(token, std::string_view(header).substr(kScheme.size()))) {
    return httplib::Server::HandlerResponse::Unhandled;
  }
  reply_error(res, Error{ErrorCode::unauthenticated,
                         "missing or wrong API token: send the header \"Authorization: Bearer "
                         "<token>\" with the token of xlbd's --api-token-file (xlbctl "
                         "--token-file=<file>)",
                         "Authorization"});
  res.set_header("WWW-Authenticate", "Bearer realm=\"xlb\"");
  return httplib::Server::HandlerResponse::Handled;
}

}  // namespace xlb::api
