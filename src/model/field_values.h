// One model field from a value given outside JSON (xlbctl's flags), checked and worded as the
// JSON reader checks it: the reader uses these same functions, so a value the model cannot hold
// is refused in the API's own sentence wherever it was typed.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>

#include "common/result.h"
#include "health/probe_spec.h"
#include "model/enum_names.h"
#include "model/limits.h"

namespace xlb::model {

// `value` when `range` holds it, else "<field> must be an integer from <lo> to <hi>, got <v>".
Result<int64_t> int_field(int64_t value, const std::string& field, IntRange range);

// "<field> must be one of <names>, got <shown>"; `shown` is the value as shown(json) prints it.
template <class E>
Error enum_field_error(std::span<const EnumName<E>> table, const std::string& field,
                       const std::string& shown_value) {
  return invalid(field, field + " must be one of " + enum_choices(table) + ", got " + shown_value);
}

// The enum named `text` in `table` (aliases included).
template <class E>
Result<E> enum_field(std::span<const EnumName<E>> table, std::string_view text,
                     const std::string& field) {
  if (auto e = enum_parse(table, text)) return *e;
  return enum_field_error(table, field, shown(nlohmann::json(text)));
}

// int_field stored into `out`, an integer type the range fits.
template <class T>
Result<void> store_int_field(T& out, int64_t value, const std::string& field, IntRange range) {
  auto checked = int_field(value, field, range);
  if (!checked) return checked.error();
  out = static_cast<T>(*checked);
  return Ok{};
}

// enum_field stored into `out`.
template <class E>
Result<void> store_enum_field(E& out, std::span<const EnumName<E>> table, std::string_view text,
                              const std::string& field) {
  auto e = enum_field(table, text, field);
  if (!e) return e.error();
  out = *e;
  return Ok{};
}

// A probe type ("none", "ping", "tcp", "udp", "http", "https"); `shown_value` as above.
Error probe_type_error(const std::string& field, const std::string& shown_value);
Result<health::ProbeType> probe_type_field(std::string_view text, const std::string& field);

}  // namespace xlb::model
