// HttpParser: one HTTP/1.x message at a time from a byte stream, parsed by llhttp (never by
// hand), with what llhttp 8.1 lets through refused first: bare CR or LF and control bytes in
// the head, folded header lines, both Content-Length and Transfer-Encoding, repeated or
// conflicting Content-Length, any Transfer-Encoding but exactly "chunked", HTTP versions other
// than 1.0 and 1.1, and chunk extensions past a bound. A message is reported only once its whole
// head has passed these checks, so a caller forwards nothing of a message that fails them.
// The body comes out re-framed by the proxy itself (Content-Length bytes as they are; chunked
// bodies as fresh chunks without extensions or trailers), so what reaches the other side is
// framing the proxy wrote, never the sender's.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "proxy/http_message.h"
#include "proxy/limits.h"

namespace xlb::proxy {

class HttpParser {
 public:
  enum class Kind { request, response };
  enum class State {
    head,    // reading a head: feed more
    body,    // the head is out (head()); feed the body
    done,    // the message is complete: reset() before the next one
    failed,  // fault() says why; the connection must close
  };

  HttpParser(Kind kind, const Limits& limits);
  ~HttpParser();
  HttpParser(const HttpParser&) = delete;
  HttpParser& operator=(const HttpParser&) = delete;

  // Consumes bytes of `in` and returns how many: in `head`, the whole head once it is all
  // there (else none: the caller keeps them and feeds them again with more); in `body`, body
  // bytes, whose re-framed form is appended to `body_out`, up to the end of the message (the
  // rest belongs to the next one). Stops at each state change.
  size_t feed(std::string_view in, std::string& body_out);
  // The peer closed: a body delimited by the close is complete; anything else unfinished fails.
  void finish(std::string& body_out);
  // Ready for the next message on the same stream.
  void reset();
  // Responses: the request was HEAD (or the response otherwise has no body).
  void expect_no_body() { no_body_ = true; }

  State state() const { return state_; }
  const MessageHead& head() const { return head_; }
  MessageHead& head() { return head_; }
  const HttpFault& fault() const { return fault_; }
  // Bytes of the head not yet complete: the caller's header deadline runs while it is > 0.
  bool head_started() const { return head_started_; }

 private:
  struct Llhttp;
  friend struct HttpParserCallbacks;
  // Where the head ends (just past its empty line) in `in`, 0 if not there yet; fails on bytes
  // llhttp 8.1 accepts but RFC 9112 does not.
  size_t scan_head(std::string_view in);
  void fail(int status, std::string reason);
  bool check_head();  // the head's framing and version; fails and returns false otherwise
  int fault_status(int request_status) const;  // the status for a response fault is 502

  Kind kind_;
  const Limits limits_;  // a copy: a parser never depends on its creator's lifetime
  std::unique_ptr<Llhttp> ll_;
  State state_ = State::head;
  MessageHead head_;
  HttpFault fault_;
  bool no_body_ = false;
  bool head_started_ = false;
  // scan_head's progress through the bytes the caller keeps for us: the next byte to look at,
  // where the current line starts, how many lines ended.
  size_t scan_pos_ = 0;
  size_t line_start_ = 0;
  size_t lines_ = 0;
  // Callback scratch: the header being read, chunk framing, the body output of this feed.
  std::string field_, value_;
  bool in_value_ = false;
  bool trailers_ = false;
  size_t trailer_bytes_ = 0;
  size_t chunk_ext_bytes_ = 0;
  std::string* body_out_ = nullptr;
  bool message_complete_ = false;
};

}  // namespace xlb::proxy
