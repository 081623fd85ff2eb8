#include "model/field_values.h"

namespace xlb::model {

Result<int64_t> int_field(int64_t value, const std::string& field, IntRange range) {
  if (range.contains(value)) return value;
  return invalid(field, range_message(field, range, std::to_string(value)));
}

Error probe_type_error(const std::string& field, const std::string& shown_value) {
  return invalid(field,
                 field + " must be one of none, ping, tcp, udp, http, https, got " + shown_value);
}

Result<health::ProbeType> probe_type_field(std::string_view text, const std::string& field) {
  if (auto type = health::parse_probe_type(text)) return *type;
  return probe_type_error(field, shown(nlohmann::json(text)));
}

}  // namespace xlb::model
