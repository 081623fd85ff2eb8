#include "datapath/bpffs.h"

#include <linux/magic.h>
#include <spdlog/spdlog.h>
#include <sys/mount.h>
#include <sys/statfs.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace xlb {
namespace fs = std::filesystem;

namespace {

bool is_bpffs(const fs::path& p) {
  struct statfs st {};
  return statfs(p.c_str(), &st) == 0 && st.f_type == BPF_FS_MAGIC;
}

Result<void> mount_bpffs(const fs::path& where) {
  if (mount("bpf", where.c_str(), "bpf", 0, "mode=0700") == 0) {
    // A mount made inside a private mount namespace (ip netns exec remounts /sys) dies with
    // the process, and the pins with it: say so, since restarts then cannot re-adopt flows.
    spdlog::warn(
        "mounted bpffs on {}; if xlbd runs in a private mount namespace (e.g. under ip netns "
        "exec) the pins vanish when it exits: mount bpffs in the host namespace and pass "
        "--bpffs=<dir on it> to keep flows across restarts",
        where.string());
    return Ok{};
  }
  return Error{ErrorCode::bpffs,
               "cannot mount bpffs on " + where.string() + ": " + std::strerror(errno) +
                   " (run as root, or mount it yourself: mount -t bpf bpf " + where.string() + ")",
               "bpffs"};
}

}  // namespace

Result<void> ensure_bpffs_dir(const std::string& dir) {
  fs::path path(dir);
  const fs::path sys_bpf("/sys/fs/bpf");
  std::error_code ec;
  bool under_sys_bpf = path.string().rfind(sys_bpf.string() + "/", 0) == 0;
  if (under_sys_bpf && !is_bpffs(sys_bpf)) {
    auto r = mount_bpffs(sys_bpf);
    if (!r) return r;
  }
  const bool created = fs::create_directories(path, ec);
  if (ec)
    return Error{ErrorCode::bpffs, "cannot create pin directory " + dir + ": " + ec.message(),
                 "bpffs"};
  // Only root opens the pinned maps (and so rewrites rules or flows behind xlbd's back).
  if (created) fs::permissions(path, fs::perms::owner_all, fs::perm_options::replace, ec);
  if (ec)
    return Error{ErrorCode::bpffs, "cannot chmod 0700 pin directory " + dir + ": " + ec.message(),
                 "bpffs"};
  if (!is_bpffs(path)) return mount_bpffs(path);
  return Ok{};
}

Result<void> remove_pins(const std::string& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return Ok{};
  for (const auto& entry : fs::directory_iterator(dir, ec)) fs::remove(entry.path(), ec);
  // A bpffs mounted on the directory itself is unmounted first; EINVAL just means none was.
  umount2(dir.c_str(), MNT_DETACH);
  fs::remove(dir, ec);
  if (ec)
    return Error{ErrorCode::bpffs, "cannot remove pin directory " + dir + ": " + ec.message(), ""};
  return Ok{};
}

int remove_retired_pins(const std::string& dir, std::initializer_list<const char*> names) {
  int removed = 0;
  for (const char* name : names) {
    const fs::path pin = fs::path(dir) / name;
    std::error_code ec;
    if (!fs::remove(pin, ec)) continue;
    ++removed;
    spdlog::info("removed {}: a map of an older xlb that this version no longer uses",
                 pin.string());
  }
  return removed;
}

bool pinned(const std::string& dir, const char* name) {
  std::error_code ec;
  return fs::exists(fs::path(dir) / name, ec);
}

}  // namespace xlb
