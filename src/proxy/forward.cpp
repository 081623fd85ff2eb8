#include "proxy/forward.h"

#include <array>

namespace xlb::proxy {
namespace {

constexpr std::array<std::string_view, 9> kHopByHop = {
    "Connection",        "Keep-Alive",     "Proxy-Connection",  "TE", "Trailer", "Upgrade",
    "Transfer-Encoding", "Content-Length", "Proxy-Authenticate"};

// Fields the proxy sets itself from what it knows of the connection.
constexpr std::array<std::string_view, 2> kForwardedProtoPort = {"X-Forwarded-Proto",
                                                                 "X-Forwarded-Port"};
// What --xff=replace drops from an untrusted client: every way to claim a client address.
constexpr std::array<std::string_view, 3> kClientAddressClaims = {"X-Forwarded-For", "X-Real-IP",
                                                                  "Forwarded"};

template <size_t N>
bool named_in(const std::array<std::string_view, N>& names, std::string_view name) {
  for (auto n : names) {
    if (iequals(n, name)) return true;
  }
  return false;
}

// The comma-separated tokens of every Connection field.
bool listed_in_connection(const MessageHead& head, std::string_view name) {
  for (std::string_view value : head.all("Connection")) {
    while (!value.empty()) {
      const size_t comma = value.find(',');
      if (iequals(trim_ows(value.substr(0, comma)), name)) return true;
      if (comma == std::string_view::npos) break;
      value.remove_prefix(comma + 1);
    }
  }
  return false;
}

void add_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}

const char* status_text(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 414:
      return "URI Too Long";
    case 431:
      return "Request Header Fields Too Large";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Error";
  }
}

}  // namespace

bool is_hop_by_hop(const MessageHead& head, std::string_view name) {
  // Host is never dropped, whatever Connection lists: the endpoint needs it.
  if (iequals(name, "Host")) return false;
  return named_in(kHopByHop, name) || listed_in_connection(head, name);
}

std::string backend_request_head(const MessageHead& request, const ForwardContext& ctx) {
  std::string out;
  out.reserve(512);
  out.append(request.method).append(" ").append(request.target);
  out.append(request.minor == 0 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n");
  const bool keep_chain = ctx.xff != model::Xff::replace || ctx.client_trusted;
  std::string chain;
  for (const auto& h : request.headers) {
    if (is_hop_by_hop(request, h.name)) continue;
    if (named_in(kForwardedProtoPort, h.name)) {
      if (ctx.client_trusted) add_field(out, h.name, h.value);
      continue;
    }
    if (ctx.xff != model::Xff::off && iequals(h.name, "X-Forwarded-For")) {
      if (keep_chain && !h.value.empty()) chain += (chain.empty() ? "" : ", ") + h.value;
      continue;
    }
    if (!keep_chain && named_in(kClientAddressClaims, h.name)) continue;
    add_field(out, h.name, h.value);
  }
  if (ctx.xff != model::Xff::off) {
    add_field(out, "X-Forwarded-For", chain.empty() ? ctx.client : chain + ", " + ctx.client);
  }
  if (!ctx.client_trusted || !request.count("X-Forwarded-Proto"))
    add_field(out, "X-Forwarded-Proto", ctx.client_tls ? "https" : "http");
  if (!ctx.client_trusted || !request.count("X-Forwarded-Port"))
    add_field(out, "X-Forwarded-Port", std::to_string(ctx.listen_port));
  if (request.framing == Framing::chunked) add_field(out, "Transfer-Encoding", "chunked");
  if (request.framing == Framing::length)
    add_field(out, "Content-Length", std::to_string(request.content_length));
  if (ctx.close_backend) add_field(out, "Connection", "close");
  out.append("\r\n");
  return out;
}

std::string client_response_head(const MessageHead& response, bool keep_client,
                                 uint8_t client_minor) {
  std::string out;
  out.reserve(512);
  out.append(response.minor == 0 ? "HTTP/1.0 " : "HTTP/1.1 ");
  out.append(std::to_string(response.status)).append(" ").append(response.reason).append("\r\n");
  for (const auto& h : response.headers) {
    if (!is_hop_by_hop(response, h.name)) add_field(out, h.name, h.value);
  }
  if (response.status >= 200) {
    if (response.framing == Framing::chunked) add_field(out, "Transfer-Encoding", "chunked");
    if (response.framing == Framing::length)
      add_field(out, "Content-Length", std::to_string(response.content_length));
    // A response to HEAD (or a 304) tells the length of what a GET would have carried.
    if (response.framing == Framing::none && response.count("Content-Length") == 1)
      add_field(out, "Content-Length", std::to_string(response.content_length));
    if (!keep_client) {
      add_field(out, "Connection", "close");
    } else if (client_minor == 0) {
      add_field(out, "Connection", "keep-alive");
    }
  }
  out.append("\r\n");
  return out;
}

std::string error_response(int status, const std::string& reason, bool keep_client) {
  const std::string body =
      std::to_string(status) + " " + status_text(status) + ": " + reason + "\n";
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + status_text(status) + "\r\n";
  add_field(out, "Content-Type", "text/plain");
  add_field(out, "Content-Length", std::to_string(body.size()));
  if (!keep_client) add_field(out, "Connection", "close");
  out.append("\r\n").append(body);
  return out;
}

}  // namespace xlb::proxy
