// The closed set of error codes: each code's wire name (the "code" of an API error) and its HTTP
// status come from one list, so a new code cannot be added without deciding its status.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string_view>

namespace xlb {

// X(name, http status): the wire name is the enumerator's own spelling.
#define XLB_ERROR_CODES(X)                                                         \
  /* the request is at fault */                                                    \
  X(invalid_argument, 400)                                                         \
  X(unauthenticated, 401)                                                          \
  X(not_found, 404)                                                                \
  X(conflict, 409)                                                                 \
  X(already_exists, 409)                                                           \
  X(limit_exceeded, 409)                                                           \
  X(too_large, 413)                                                                \
  X(not_supported, 501)                                                            \
  /* xlbd (or a peer) cannot serve it now; retrying later may work */              \
  X(unavailable, 503)                                                              \
  /* the daemon is at fault; internal comes first: it is the fallback for a 500 */ \
  X(internal, 500)                                                                 \
  X(datapath, 500)                                                                 \
  X(permission, 500)                                                               \
  X(bpffs, 500)                                                                    \
  X(store, 500)                                                                    \
  X(io, 500)                                                                       \
  X(system, 500)                                                                   \
  X(startup, 500)                                                                  \
  /* xlbctl's own: a local file, or an HTTP answer without an xlb error in it */   \
  X(file, 500)                                                                     \
  X(http, 500)

enum class ErrorCode : uint8_t {
#define XLB_ERROR_CODE_ENUMERATOR(name, status) name,
  XLB_ERROR_CODES(XLB_ERROR_CODE_ENUMERATOR)
#undef XLB_ERROR_CODE_ENUMERATOR
};

struct ErrorCodeInfo {
  ErrorCode code;
  std::string_view wire_name;
  int http_status;
};

// Every code once, in enum order.
inline constexpr ErrorCodeInfo kErrorCodes[] = {
#define XLB_ERROR_CODE_INFO(name, status) {ErrorCode::name, #name, status},
    XLB_ERROR_CODES(XLB_ERROR_CODE_INFO)
#undef XLB_ERROR_CODE_INFO
};

constexpr const ErrorCodeInfo& error_code_info(ErrorCode code) {
  return kErrorCodes[static_cast<size_t>(code)];
}
constexpr std::string_view wire_name(ErrorCode code) { return error_code_info(code).wire_name; }
constexpr int http_status(ErrorCode code) { return error_code_info(code).http_status; }

// The code a wire name stands for; none for a name this build does not know (a newer xlbd).
constexpr std::optional<ErrorCode> error_code_from_wire(std::string_view name) {
  for (const auto& info : kErrorCodes) {
    if (info.wire_name == name) return info.code;
  }
  return std::nullopt;
}

// The first code answered with `status` (internal for 500), or http when no code is: what a
// client makes of an error whose own code it does not know.
constexpr ErrorCode error_code_for_http_status(int status) {
  for (const auto& info : kErrorCodes) {
    if (info.http_status == status) return info.code;
  }
  return ErrorCode::http;
}

// For test failure messages: prints the wire name.
std::ostream& operator<<(std::ostream& out, ErrorCode code);

}  // namespace xlb
