// Logging to the systemd journal. Under systemd xlbd's stderr is a stream into journald
// ($JOURNAL_STREAM names it); a line starting with "<N>" is recorded at syslog priority N and
// the prefix dropped, so `journalctl -u xlbd -p warning` filters by level.
#pragma once

#include <spdlog/formatter.h>

#include <memory>

namespace xlb::logging {

// True when stderr is the journal stream systemd connected ($JOURNAL_STREAM = its device:inode).
bool stderr_is_journal();

// `inner`'s lines, each prefixed with its level's syslog priority ("<3>" for an error).
std::unique_ptr<spdlog::formatter> with_journal_priority(std::unique_ptr<spdlog::formatter> inner);

}  // namespace xlb::logging
