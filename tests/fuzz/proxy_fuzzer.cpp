// libFuzzer harness over xlb-proxy's request path (and its response path): bytes from a client
// parsed by HttpParser, fed in slices as a socket delivers them, then the head the proxy writes
// for the endpoint (backend_request_head) with the body it re-framed. ASan and UBSan catch memory
// and undefined-behaviour bugs; the properties below catch smuggling:
//   - a refusal is a 4xx (5xx for a response) and nothing of the message is handed on;
//   - what the proxy forwards for an accepted message parses, by a fresh parser, as exactly one
//     message, ending where the bytes end, with the same method, target and body: the endpoint
//     can never read a second request (or response) into what the proxy sent as one.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "proxy/forward.h"
#include "proxy/http_parser.h"

namespace {

using xlb::proxy::HttpParser;

void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "proxy_fuzzer: property violated: %s\n", what);
  std::abort();
}

const xlb::proxy::Limits& fuzz_limits() {
  static const xlb::proxy::Limits limits = [] {
    xlb::proxy::Limits l;
    l.max_header_bytes = 2048;  // small, so the fuzzer reaches the limits
    l.max_headers = 16;
    l.max_request_line = 512;
    l.max_chunk_ext_bytes = 16;
    return l;
  }();
  return limits;
}

// Feeds `in` in slices of `step`; returns the re-framed body; `emitted` is set when a head came
// out (the only moment a caller forwards anything).
std::string run_parser(HttpParser& p, std::string_view in, size_t step, bool& emitted) {
  std::string held, body;
  size_t at = 0;
  emitted = false;
  for (int guard = 0; guard < 100000; ++guard) {
    if (p.state() != HttpParser::State::head && p.state() != HttpParser::State::body) break;
    if (at < in.size()) {
      const size_t n = std::min(step, in.size() - at);
      held.append(in.substr(at, n));
      at += n;
    }
    const HttpParser::State before = p.state();
    const size_t used = p.feed(held, body);
    require(used <= held.size(), "feed consumes at most what it was given");
    held.erase(0, used);
    if (before == HttpParser::State::head && p.state() != HttpParser::State::head &&
        p.state() != HttpParser::State::failed)
      emitted = true;
    if (used == 0 && at >= in.size()) break;
  }
  return body;
}

// `forwarded` read by a fresh parser: exactly one message, like `original`.
void check_one_message(HttpParser::Kind kind, const std::string& forwarded,
                       const xlb::proxy::MessageHead& original, const std::string& body,
                       bool no_body) {
  HttpParser again(kind, xlb::proxy::Limits{});
  if (no_body) again.expect_no_body();
  std::string body_again;
  size_t used = again.feed(forwarded, body_again);
  if (again.state() == HttpParser::State::body)
    used += again.feed(std::string_view(forwarded).substr(used), body_again);
  require(again.state() == HttpParser::State::done, "the forwarded message parses whole");
  require(used == forwarded.size(), "the forwarded message ends where its bytes end");
  require(again.head().method == original.method, "same method");
  require(again.head().target == original.target, "same target");
  require(again.head().status == original.status, "same status");
  require(body_again == body, "the body re-frames to itself");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t step = 1 + data[0] % 64;
  const uint8_t flags = data[1];
  const std::string_view in(reinterpret_cast<const char*>(data) + 2, size - 2);

  HttpParser request(HttpParser::Kind::request, fuzz_limits());
  bool emitted = false;
  const std::string body = run_parser(request, in, step, emitted);
  if (request.state() == HttpParser::State::failed) {
    const int status = request.fault().status;
    require(status >= 400 && status < 500, "a refused request gets a 4xx");
  }
  if (request.state() == HttpParser::State::done) {
    require(emitted, "a complete request had its head reported");
    xlb::proxy::ForwardContext ctx;
    ctx.client = "10.1.1.10";
    ctx.client_trusted = flags & 1;
    ctx.xff = static_cast<xlb::model::Xff>((flags >> 1) % 3);
    ctx.listen_port = 80;
    ctx.close_backend = flags & 8;
    const std::string head = xlb::proxy::backend_request_head(request.head(), ctx);
    check_one_message(HttpParser::Kind::request, head + body, request.head(), body, false);
  }

  HttpParser response(HttpParser::Kind::response, fuzz_limits());
  const bool head_request = flags & 16;
  if (head_request) response.expect_no_body();
  std::string resp_body = run_parser(response, in, step, emitted);
  if (response.state() == HttpParser::State::body && (flags & 32)) response.finish(resp_body);
  if (response.state() == HttpParser::State::failed)
    require(response.fault().status == 502, "a refused response gets the client a 502");
  if (response.state() == HttpParser::State::done && response.head().status >= 200) {
    xlb::proxy::MessageHead h = response.head();
    const bool keep = h.framing != xlb::proxy::Framing::until_close;
    const std::string head = xlb::proxy::client_response_head(h, keep, 1);
    // A close-delimited body is passed on as such: the client reads it to the close.
    if (h.framing != xlb::proxy::Framing::until_close)
      check_one_message(HttpParser::Kind::response, head + resp_body, h, resp_body, head_request);
  }
  return 0;
}
