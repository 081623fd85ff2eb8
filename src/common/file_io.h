// Durable file writes shared by the config store and xlbctl save: the data is on disk (fsync)
// before anyone renames the file into place.
#pragma once

#include <sys/types.h>

#include <string>

#include "common/result.h"

namespace xlb {

// Creates or truncates `path` with `mode`, writes all of `data`, fsyncs and closes it.
// Errors: code "io", message "cannot <step> <path>: <reason>".
Result<void> write_synced(const std::string& path, const std::string& data, mode_t mode);

// Replaces `path` atomically: a synced temp file beside it ("<path>.tmp.<pid>") renamed over it,
// then the directory synced. After a crash the file is whole, old or new.
Result<void> replace_file(const std::string& path, const std::string& data, mode_t mode);

}  // namespace xlb
