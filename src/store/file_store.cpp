#include "store/file_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <utility>

#include "common/file_io.h"
#include "model/json.h"

namespace xlb {
namespace {

Error store_error(const std::string& message) { return Error{ErrorCode::store, message, ""}; }

Error errno_error(const std::string& what, const std::string& path) {
  return store_error("cannot " + what + " " + path + ": " + std::strerror(errno));
}

// Closes the descriptor on every path out of save().
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// The shared durable write, reporting in the store's words.
Result<void> write_synced(const std::string& path, const std::string& data) {
  auto r = xlb::write_synced(path, data, 0600);
  if (!r) return store_error(r.error().message);
  return Ok{};
}

Result<std::string> read_all(int fd, const std::string& path) {
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("read", path);
    if (n == 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

// Makes the rename itself durable.
Result<void> sync_dir(const std::string& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return errno_error("open directory", dir);
  if (::fsync(fd.get()) != 0) return errno_error("fsync directory", dir);
  return Ok{};
}

}  // namespace

FileStore::FileStore(std::string dir, FileStoreHooks hooks)
    : dir_(std::move(dir)), path_(dir_ + "/config.json"), hooks_(std::move(hooks)) {
  if (!hooks_.rename)
    hooks_.rename = [](const char* from, const char* to) { return std::rename(from, to); };
  if (!hooks_.reached) hooks_.reached = [](const char*) {};
}

std::string FileStore::temp_path() const {
  return dir_ + "/.config.json.tmp." + std::to_string(::getpid());
}

Result<std::optional<model::Config>> FileStore::load() {
  remove_stale_temp_files();
  Fd fd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return std::optional<model::Config>{};  // never saved
    return errno_error("open", path_);
  }
  auto text = read_all(fd.get(), path_);
  if (!text) return text.error();

  nlohmann::json j;
  try {
    j = nlohmann::json::parse(*text);
  } catch (const nlohmann::json::exception& e) {
    return store_error("config file " + path_ + " is corrupt (" + e.what() +
                       "); fix it or move it away to start with an empty configuration");
  }
  auto cfg = model::config_from_json(j);
  if (!cfg) {
    return store_error("config file " + path_ + " is invalid: " + cfg.error().message +
                       "; fix it or move it away to start with an empty configuration");
  }
  return std::optional<model::Config>(std::move(*cfg));
}

Result<void> FileStore::save(const model::Config& cfg) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return store_error("cannot create state directory " + dir_ + ": " + ec.message());

  std::lock_guard lock(save_mu_);
  const std::string tmp = temp_path();
  const std::string& data = text_.render(cfg);
  hooks_.reached(kSaveSteps[0]);
  if (auto r = write_synced(tmp, data); !r) {
    ::unlink(tmp.c_str());
    return r.error();
  }
  hooks_.reached(kSaveSteps[1]);
  if (hooks_.rename(tmp.c_str(), path_.c_str()) != 0) {
    Error e = errno_error("rename " + tmp + " to", path_);
    ::unlink(tmp.c_str());
    return e;
  }
  hooks_.reached(kSaveSteps[2]);
  auto synced = sync_dir(dir_);
  hooks_.reached(kSaveSteps[3]);
  return synced;
}

void FileStore::remove_stale_temp_files() const {
  const std::string prefix = ".config.json.tmp.";
  const std::string mine = temp_path();
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    const std::string name = entry.path().filename();
    if (name.rfind(prefix, 0) == 0 && entry.path() != mine) {
      std::filesystem::remove(entry.path(), ec);
    }
  }
}

}  // namespace xlb
