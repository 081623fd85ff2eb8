// The heads xlb-proxy writes: the request to the endpoint (hop-by-hop fields removed,
// X-Forwarded-For/-Proto/-Port as the rule says, the proxy's own framing) and the response to
// the client. Pure functions of the parsed head: the fuzz target runs them on every input.
#pragma once

#include <cstdint>
#include <string>

#include "model/service.h"
#include "proxy/http_message.h"

namespace xlb::proxy {

struct ForwardContext {
  std::string client;           // the client's address (TCP peer, or its trusted PPv2 source)
  bool client_trusted = false;  // inside the rule's --xff-trusted
  model::Xff xff = model::Xff::append;
  uint16_t listen_port = 0;    // the VIP's port the client connected to
  bool close_backend = false;  // --reuse=never: ask the endpoint to close after the response
  bool client_tls = false;     // the client spoke TLS to the proxy: X-Forwarded-Proto https
};

// The request head for the endpoint, ending with the empty line.
std::string backend_request_head(const MessageHead& request, const ForwardContext& ctx);

// The response head for the client. `keep_client`: the client connection stays open after.
std::string client_response_head(const MessageHead& response, bool keep_client,
                                 uint8_t client_minor);

// A response the proxy writes itself (400, 404, 408, 414, 431, 502, 503, 504): a short text
// body, and `Connection: close` unless `keep_client`.
std::string error_response(int status, const std::string& reason, bool keep_client);

// Hop-by-hop fields: the fixed ones of RFC 9110 7.6.1 and those named in Connection.
bool is_hop_by_hop(const MessageHead& head, std::string_view name);

}  // namespace xlb::proxy
