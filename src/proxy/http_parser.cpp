#include "proxy/http_parser.h"

#include <llhttp.h>

#include <cstdio>

namespace xlb::proxy {

struct HttpParser::Llhttp {
  llhttp_t parser;
  llhttp_settings_t settings;
};

// llhttp's callbacks, forwarding to the HttpParser in parser->data.
struct HttpParserCallbacks {
  static HttpParser& self(llhttp_t* p) { return *static_cast<HttpParser*>(p->data); }

  static int on_url(llhttp_t* p, const char* at, size_t n) {
    self(p).head_.target.append(at, n);
    return 0;
  }
  static int on_status(llhttp_t* p, const char* at, size_t n) {
    self(p).head_.reason.append(at, n);
    return 0;
  }
  static int on_header_field(llhttp_t* p, const char* at, size_t n) {
    HttpParser& s = self(p);
    if (s.trailers_) return count_trailer(s, n);
    s.field_.append(at, n);
    return 0;
  }
  static int on_header_value(llhttp_t* p, const char* at, size_t n) {
    HttpParser& s = self(p);
    if (s.trailers_) return count_trailer(s, n);
    s.value_.append(at, n);
    return 0;
  }
  static int on_header_value_complete(llhttp_t* p) {
    HttpParser& s = self(p);
    if (s.trailers_) return 0;
    s.head_.headers.push_back({std::move(s.field_), std::string(trim_ows(s.value_))});
    s.field_.clear();
    s.value_.clear();
    return 0;
  }
  // Trailers are parsed (and bounded) but dropped: the proxy's chunked framing ends without.
  static int count_trailer(HttpParser& s, size_t n) {
    s.trailer_bytes_ += n;
    return s.trailer_bytes_ > s.limits_.max_header_bytes ? -1 : 0;
  }
  static int on_headers_complete(llhttp_t* p) {
    HttpParser& s = self(p);
    s.head_.major = llhttp_get_http_major(p);
    s.head_.minor = llhttp_get_http_minor(p);
    if (s.kind_ == HttpParser::Kind::request) {
      s.head_.method = llhttp_method_name(static_cast<llhttp_method_t>(llhttp_get_method(p)));
    } else {
      s.head_.status = llhttp_get_status_code(p);
    }
    s.head_.keep_alive = llhttp_should_keep_alive(p) != 0;
    return s.no_body_ ? 1 : 0;  // 1: this response has no body (the request was HEAD)
  }
  static int on_chunk_header(llhttp_t* p) {
    HttpParser& s = self(p);
    s.chunk_ext_bytes_ = 0;
    if (p->content_length == 0) {
      s.trailers_ = true;  // the last chunk: what follows are trailers
      return 0;
    }
    char size[24];
    std::snprintf(size, sizeof size, "%llx\r\n",
                  static_cast<unsigned long long>(p->content_length));
    s.body_out_->append(size);
    return 0;
  }
  static int on_chunk_ext(llhttp_t* p, const char*, size_t n) {
    HttpParser& s = self(p);
    s.chunk_ext_bytes_ += n;
    return s.chunk_ext_bytes_ > s.limits_.max_chunk_ext_bytes ? -1 : 0;
  }
  static int on_body(llhttp_t* p, const char* at, size_t n) {
    self(p).body_out_->append(at, n);
    return 0;
  }
  static int on_chunk_complete(llhttp_t* p) {
    HttpParser& s = self(p);
    if (!s.trailers_) s.body_out_->append("\r\n");
    return 0;
  }
  static int on_message_complete(llhttp_t* p) {
    HttpParser& s = self(p);
    if (s.head_.framing == Framing::chunked && s.body_out_) s.body_out_->append("0\r\n\r\n");
    s.message_complete_ = true;
    return HPE_PAUSED;  // the next message waits until this one is answered (in order)
  }
};

HttpParser::HttpParser(Kind kind, const Limits& limits)
    : kind_(kind), limits_(limits), ll_(std::make_unique<Llhttp>()) {
  llhttp_settings_t& s = ll_->settings;
  llhttp_settings_init(&s);
  s.on_url = HttpParserCallbacks::on_url;
  s.on_status = HttpParserCallbacks::on_status;
  s.on_header_field = HttpParserCallbacks::on_header_field;
  s.on_header_value = HttpParserCallbacks::on_header_value;
  s.on_header_value_complete = HttpParserCallbacks::on_header_value_complete;
  s.on_headers_complete = HttpParserCallbacks::on_headers_complete;
  s.on_chunk_header = HttpParserCallbacks::on_chunk_header;
  s.on_chunk_extension_name = HttpParserCallbacks::on_chunk_ext;
  s.on_chunk_extension_value = HttpParserCallbacks::on_chunk_ext;
  s.on_body = HttpParserCallbacks::on_body;
  s.on_chunk_complete = HttpParserCallbacks::on_chunk_complete;
  s.on_message_complete = HttpParserCallbacks::on_message_complete;
  reset();
}

HttpParser::~HttpParser() = default;

void HttpParser::reset() {
  llhttp_init(&ll_->parser, kind_ == Kind::request ? HTTP_REQUEST : HTTP_RESPONSE, &ll_->settings);
  ll_->parser.data = this;
  state_ = State::head;
  head_ = MessageHead{};
  fault_ = HttpFault{};
  no_body_ = false;
  head_started_ = false;
  scan_pos_ = line_start_ = lines_ = 0;
  field_.clear();
  value_.clear();
  trailers_ = false;
  trailer_bytes_ = 0;
  chunk_ext_bytes_ = 0;
  body_out_ = nullptr;
  message_complete_ = false;
}

int HttpParser::fault_status(int request_status) const {
  return kind_ == Kind::request ? request_status : 502;
}

void HttpParser::fail(int status, std::string reason) {
  state_ = State::failed;
  fault_ = HttpFault{fault_status(status), std::move(reason)};
}

size_t HttpParser::scan_head(std::string_view in) {
  for (size_t i = scan_pos_; i < in.size(); ++i) {
    const auto c = static_cast<unsigned char>(in[i]);
    if (i >= limits_.max_header_bytes) {
      fail(431,
           "header section larger than " + std::to_string(limits_.max_header_bytes) + " bytes");
      return 0;
    }
    if (lines_ == 0 && i - line_start_ > limits_.max_request_line) {
      fail(414, "request line longer than " + std::to_string(limits_.max_request_line) + " bytes");
      return 0;
    }
    if (c == '\r') {
      if (i + 1 == in.size()) {
        scan_pos_ = i;  // is the LF next? Look again with more bytes.
        return 0;
      }
      if (in[i + 1] != '\n') {
        fail(400, "bare CR in the header section");
        return 0;
      }
      continue;
    }
    if (c == '\n') {
      if (i == 0 || in[i - 1] != '\r') {
        fail(400, "bare LF in the header section");
        return 0;
      }
      const size_t length = i - 1 - line_start_;
      if (length == 0) {
        if (lines_ == 0) {
          fail(400, "empty line before the start line");
          return 0;
        }
        scan_pos_ = i + 1;
        return i + 1;  // the empty line: the head ends here
      }
      if (++lines_ > limits_.max_headers + 1) {
        fail(431, "more than " + std::to_string(limits_.max_headers) + " header fields");
        return 0;
      }
      line_start_ = i + 1;
      continue;
    }
    if ((c < 0x20 && c != '\t') || c == 0x7f) {
      fail(400, "control character in the header section");
      return 0;
    }
    if (i == line_start_ && lines_ > 0 && (c == ' ' || c == '\t')) {
      fail(400, "folded header line (obs-fold)");
      return 0;
    }
  }
  scan_pos_ = in.size();
  return 0;
}

bool HttpParser::check_head() {
  MessageHead& h = head_;
  if (h.major != 1 || h.minor > 1) {
    fail(400, "HTTP version other than 1.0 and 1.1");
    return false;
  }
  const size_t te = h.count("Transfer-Encoding");
  const size_t cl = h.count("Content-Length");
  if (te && cl) {
    fail(400, "both Content-Length and Transfer-Encoding");
    return false;
  }
  if (cl > 1 || te > 1) {
    fail(400, cl > 1 ? "repeated Content-Length" : "repeated Transfer-Encoding");
    return false;
  }
  if (te == 1 && (!iequals(trim_ows(*h.one("Transfer-Encoding")), "chunked") || h.minor == 0)) {
    fail(400, "Transfer-Encoding other than HTTP/1.1 chunked");
    return false;
  }
  if (cl == 1) {
    const std::string_view v = *h.one("Content-Length");
    if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string_view::npos) {
      fail(400, "invalid Content-Length");
      return false;
    }
    h.content_length = std::stoull(std::string(v));
  }
  if (kind_ == Kind::request) {
    const size_t hosts = h.count("Host");
    if (hosts > 1 || (hosts == 0 && h.minor == 1)) {
      fail(400, hosts ? "repeated Host" : "HTTP/1.1 request without Host");
      return false;
    }
    if (h.method == "CONNECT") {
      fail(405, "CONNECT is not supported");
      return false;
    }
    h.framing = te ? Framing::chunked : (cl && h.content_length ? Framing::length : Framing::none);
    return true;
  }
  if (h.status == 101) {
    fail(502, "the endpoint switched protocols, which the proxy never asked for");
    return false;
  }
  const bool bodyless = no_body_ || h.status < 200 || h.status == 204 || h.status == 304;
  if (bodyless) {
    h.framing = Framing::none;
  } else if (te) {
    h.framing = Framing::chunked;
  } else if (cl) {
    h.framing = h.content_length ? Framing::length : Framing::none;
  } else {
    h.framing = Framing::until_close;
    h.keep_alive = false;
  }
  return true;
}

size_t HttpParser::feed(std::string_view in, std::string& body_out) {
  llhttp_t* p = &ll_->parser;
  body_out_ = &body_out;
  if (state_ == State::head) {
    if (!in.empty()) head_started_ = true;
    const size_t end = scan_head(in);
    if (end == 0) return 0;
    const llhttp_errno_t err = llhttp_execute(p, in.data(), end);
    if (err != HPE_OK && err != HPE_PAUSED) {
      fail(400, std::string("malformed: ") + llhttp_get_error_reason(p));
      return 0;
    }
    // A pause can only come from the end of a body-less message, right at the end of the head.
    if ((err == HPE_PAUSED && llhttp_get_error_pos(p) != in.data() + end) || !check_head())
      return state_ == State::failed ? 0 : (fail(400, "malformed head"), 0);
    state_ = message_complete_ ? State::done : State::body;
    return end;
  }
  if (state_ != State::body || in.empty()) return 0;
  const llhttp_errno_t err = llhttp_execute(p, in.data(), in.size());
  if (err == HPE_OK) return in.size();
  if (err == HPE_PAUSED && message_complete_) {
    state_ = State::done;
    return static_cast<size_t>(llhttp_get_error_pos(p) - in.data());
  }
  fail(400, err == HPE_USER ? "chunk extensions or trailers too long"
                            : std::string("malformed body: ") + llhttp_get_error_reason(p));
  return 0;
}

void HttpParser::finish(std::string& body_out) {
  body_out_ = &body_out;
  if (state_ != State::body) {
    if (state_ == State::head) fail(400, "closed in the middle of a head");
    return;
  }
  const llhttp_errno_t err = llhttp_finish(&ll_->parser);
  if ((err == HPE_OK || err == HPE_PAUSED) && message_complete_) {
    state_ = State::done;
    return;
  }
  fail(400, "closed before the end of the body");
}

}  // namespace xlb::proxy
