// Making sure a pin directory lives on a bpffs mount.
#pragma once

#include <initializer_list>
#include <string>

#include "common/result.h"

namespace xlb {

// Creates `dir` on bpffs (a new directory with mode 0700). If /sys/fs/bpf is plain sysfs (as on
// some hosts) and dir is below it, bpffs is mounted on /sys/fs/bpf; a dir elsewhere gets its own
// bpffs mount.
Result<void> ensure_bpffs_dir(const std::string& dir);
// Removes the pinned files in dir and dir itself; a missing dir is fine.
Result<void> remove_pins(const std::string& dir);
// Removes the pins in dir with these names (maps of an older version), saying which; returns
// how many there were.
int remove_retired_pins(const std::string& dir, std::initializer_list<const char*> names);
// Whether dir holds a pin with this name.
bool pinned(const std::string& dir, const char* name);

}  // namespace xlb
