#include "logging/journal.h"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace xlb::logging {
namespace {

// sd-daemon.h's SD_CRIT .. SD_DEBUG, without a libsystemd dependency here.
int syslog_priority_of(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::critical:
      return 2;
    case spdlog::level::err:
      return 3;
    case spdlog::level::warn:
      return 4;
    case spdlog::level::info:
      return 6;
    default:
      return 7;
  }
}

class JournalPriorityFormatter final : public spdlog::formatter {
 public:
  explicit JournalPriorityFormatter(std::unique_ptr<spdlog::formatter> inner)
      : inner_(std::move(inner)) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const char prefix[] = {'<', static_cast<char>('0' + syslog_priority_of(msg.level)), '>'};
    dest.append(prefix, prefix + sizeof prefix);
    inner_->format(msg, dest);
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JournalPriorityFormatter>(inner_->clone());
  }

 private:
  std::unique_ptr<spdlog::formatter> inner_;
};

}  // namespace

bool stderr_is_journal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  struct stat st {};
  if (!stream || fstat(2, &st) != 0) return false;
  unsigned long long device = 0, inode = 0;
  if (std::sscanf(stream, "%llu:%llu", &device, &inode) != 2) return false;
  return device == st.st_dev && inode == st.st_ino;
}

std::unique_ptr<spdlog::formatter> with_journal_priority(std::unique_ptr<spdlog::formatter> inner) {
  return std::make_unique<JournalPriorityFormatter>(std::move(inner));
}

}  // namespace xlb::logging
