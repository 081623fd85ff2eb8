// GobgpdProcess: xlbd's own gobgpd (`xlbd --bgp`). Its configuration file, pid file and log live
// in <state dir>/bgp/; its gRPC API listens on 127.0.0.1 only. A watcher thread restarts it when it
// dies (the epoch moves, so the announcer announces everything again). Neighbour changes reach it
// by SIGHUP (gobgpd reloads its file and keeps the other sessions); a new AS or router id restarts
// it. With keep_running at stop it is left running, and the next xlbd adopts it from the pid file.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "bgp/bgp_config.h"
#include "common/result.h"

namespace xlb::bgp {

struct GobgpdOptions {
  std::string dir;            // <state dir>/bgp, created 0700
  uint16_t api_port = 50051;  // gRPC on 127.0.0.1
  std::string program = "gobgpd";
};

class GobgpdProcess {
 public:
  explicit GobgpdProcess(GobgpdOptions options);
  ~GobgpdProcess();
  GobgpdProcess(const GobgpdProcess&) = delete;
  GobgpdProcess& operator=(const GobgpdProcess&) = delete;

  // Creates the directory and adopts a gobgpd a previous xlbd left running with this
  // directory's configuration; starts the watcher.
  Result<void> start();
  // Runs gobgpd with `cfg` (stops it when cfg has no global); returns once its API answers.
  Result<void> apply(const BgpConfig& cfg);
  // Stops the watcher; stops gobgpd too unless `keep_running`.
  void stop(bool keep_running);

  uint64_t epoch() const { return epoch_.load(); }
  std::string api_host() const { return "127.0.0.1"; }
  uint16_t api_port() const { return options_.api_port; }
  std::string config_path() const { return options_.dir + "/gobgpd.toml"; }
  std::string log_path() const { return options_.dir + "/gobgpd.log"; }
  pid_t pid() const;

 private:
  Result<void> launch();        // under mu_
  void terminate();             // under mu_
  Result<void> wait_for_api();  // the gRPC port accepts connections
  void watch();

  GobgpdOptions options_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  pid_t pid_ = -1;
  bool child_ = false;  // pid_ is ours to wait for (not adopted)
  std::string running_text_;
  std::string running_global_;  // the config text without neighbours: a change needs a restart
  bool stopping_ = false;
  std::atomic<uint64_t> epoch_{1};
  std::thread watcher_;
};

}  // namespace xlb::bgp
