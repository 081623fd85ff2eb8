// FileStore: the embedded default Store, one JSON file "<dir>/config.json" replaced atomically
// (write temp file, fsync, rename, fsync directory).
#pragma once

#include <functional>
#include <string>

#include "store/store.h"

namespace xlb {

struct FileStoreHooks {
  // The commit step of save(); tests replace it to simulate a crash before the rename.
  std::function<int(const char* from, const char* to)> rename;
};

class FileStore final : public Store {
 public:
  explicit FileStore(std::string dir, FileStoreHooks hooks = {});

  Result<std::optional<model::Config>> load() override;
  Result<void> save(const model::Config& cfg) override;

  const std::string& path() const { return path_; }
  // Where save() writes before the rename: "<dir>/.config.json.tmp.<pid>".
  std::string temp_path() const;

 private:
  std::string dir_;
  std::string path_;
  FileStoreHooks hooks_;
};

}  // namespace xlb
