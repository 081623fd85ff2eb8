// Result<T>: a value or one user-facing error (code, message, field). No exceptions past start-up.
#pragma once

#include <string>
#include <utility>
#include <variant>

#include "common/error_code.h"

namespace xlb {

struct Error {
  ErrorCode code = ErrorCode::internal;  // machine-readable; its wire name and HTTP status
  std::string message;                   // one sentence naming the field and the fix
  std::string field;                     // offending field, empty when not about one field
};

inline Error invalid(std::string field, std::string message) {
  return Error{ErrorCode::invalid_argument, std::move(message), std::move(field)};
}

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

struct Ok {};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Ok) {}  // NOLINT(google-explicit-constructor)
  Result(Error error)
      : error_(std::move(error)), ok_(false) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace xlb

// Returns the error of `expr` (any Result) from the enclosing function, which returns a Result.
#define XLB_TRY(expr)                             \
  do {                                            \
    if (auto r_ = (expr); !r_) return r_.error(); \
  } while (0)
