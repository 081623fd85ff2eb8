// FileStore: the embedded default Store, one JSON file "<dir>/config.json" replaced atomically
// (write temp file, fsync, rename, fsync directory).
#pragma once

#include <functional>
#include <mutex>
#include <string>

#include "store/config_text.h"
#include "store/store.h"

namespace xlb {

struct FileStoreHooks {
  // The commit step of save(); tests replace it to simulate a crash before the rename.
  std::function<int(const char* from, const char* to)> rename;
  // Called at each step of save() (kSaveSteps, in order); tests kill the process there.
  std::function<void(const char* step)> reached;
};

// The points of save() a crash can fall between, in order.
inline constexpr const char* kSaveSteps[] = {"start", "temp-written", "renamed", "dir-synced"};

class FileStore final : public Store {
 public:
  explicit FileStore(std::string dir, FileStoreHooks hooks = {});

  // Also removes temp files a crashed save() left behind.
  Result<std::optional<model::Config>> load() override;
  Result<void> save(const model::Config& cfg) override;

  const std::string& path() const { return path_; }
  // Where save() writes before the rename: "<dir>/.config.json.tmp.<pid>".
  std::string temp_path() const;

 private:
  void remove_stale_temp_files() const;

  std::string dir_;
  std::string path_;
  FileStoreHooks hooks_;
  std::mutex save_mu_;  // guards text_
  ConfigText text_;     // per-rule JSON pieces kept between saves
};

}  // namespace xlb
