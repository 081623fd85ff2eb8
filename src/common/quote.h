// Text the operator or a peer supplied (a key, a flag value, a path segment, a probe reply),
// shown inside an error message: quoted and escaped as a JSON string, cut short, so a newline or
// a control byte in it can never break the one-line error rule.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace xlb {

std::string quoted(std::string_view text, size_t max_chars = 64);

}  // namespace xlb
