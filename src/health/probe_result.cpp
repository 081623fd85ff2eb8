#include "health/probe_result.h"

#include <cctype>
#include <cstdio>
#include <cstring>

namespace xlb::health {

std::string timeout_words(double seconds) {
  char text[48];
  std::snprintf(text, sizeof text, "timeout after %gs", seconds);
  return text;
}

std::string errno_words(int err) {
  std::string words = std::strerror(err);
  if (!words.empty())
    words[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(words[0])));
  return words;
}

}  // namespace xlb::health
