#include "health/http_exchange.h"

#include <algorithm>
#include <cctype>

#include "common/quote.h"

namespace xlb::health {
namespace {

constexpr size_t kMaxStatusLine = 1024;

bool all_digits(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

}  // namespace

std::string http_request(std::string_view path, std::string_view host) {
  std::string req = "GET ";
  req.append(path).append(" HTTP/1.1\r\nHost: ").append(host);
  req.append("\r\nConnection: close\r\n\r\n");
  return req;
}

std::optional<int> parse_status_line(std::string_view line) {
  // HTTP-version SP 3DIGIT [SP reason-phrase]
  constexpr std::string_view kPrefix = "HTTP/";
  if (!line.starts_with(kPrefix)) return std::nullopt;
  auto sp = line.find(' ');
  if (sp == std::string_view::npos) return std::nullopt;
  auto version = line.substr(kPrefix.size(), sp - kPrefix.size());
  auto dot = version.find('.');
  if (!all_digits(version.substr(0, dot)) ||
      (dot != std::string_view::npos && !all_digits(version.substr(dot + 1)))) {
    return std::nullopt;
  }
  auto code = line.substr(sp + 1, 3);
  if (code.size() != 3 || !all_digits(code)) return std::nullopt;
  if (line.size() > sp + 4 && line[sp + 4] != ' ') return std::nullopt;
  return (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
}

HttpResponseCheck::HttpResponseCheck(StatusRange expect_status, std::string expect_body)
    : expect_status_(expect_status), expect_body_(std::move(expect_body)) {}

std::optional<ProbeResult> HttpResponseCheck::feed(std::string_view bytes) {
  size_t before = received_.size();
  received_.append(bytes.substr(0, room()));
  if (!status_) {
    if (auto decided = check_status()) return decided;
    if (!status_) return std::nullopt;
  }
  return check_body(before);
}

std::optional<ProbeResult> HttpResponseCheck::check_status() {
  auto eol = received_.find('\n');
  if (eol == std::string::npos) {
    if (received_.size() < kMaxStatusLine) return std::nullopt;
    return ProbeResult::failure("malformed http status line");
  }
  std::string_view line(received_.data(), eol);
  if (line.ends_with('\r')) line.remove_suffix(1);
  status_ = parse_status_line(line);
  if (!status_) return ProbeResult::failure("malformed http status line");
  if (!expect_status_.contains(*status_)) {
    return ProbeResult::failure("http " + std::to_string(*status_));
  }
  if (expect_body_.empty()) return ProbeResult::success();
  return std::nullopt;
}

std::optional<ProbeResult> HttpResponseCheck::check_body(size_t searched_from) {
  if (!body_start_) {
    auto end = received_.find("\r\n\r\n");
    if (end == std::string::npos) {
      if (room() > 0) return std::nullopt;
      return ProbeResult::failure("http headers longer than 64 KiB");
    }
    body_start_ = end + 4;
    searched_from = *body_start_;
  }
  // Only the new bytes, plus enough overlap to find a match that straddles two reads.
  size_t from =
      std::max(*body_start_, searched_from - std::min(searched_from, expect_body_.size() - 1));
  if (received_.find(expect_body_, from) != std::string::npos) return ProbeResult::success();
  if (room() > 0) return std::nullopt;
  return ProbeResult::failure("body does not contain " + xlb::quoted(expect_body_) +
                              " in its first 64 KiB");
}

ProbeResult HttpResponseCheck::at_eof() const {
  if (received_.empty()) return ProbeResult::failure("connection closed without a response");
  if (!status_) return ProbeResult::failure("malformed http status line");
  if (!body_start_) return ProbeResult::failure("connection closed within the http headers");
  return ProbeResult::failure("body does not contain " + xlb::quoted(expect_body_));
}

}  // namespace xlb::health
