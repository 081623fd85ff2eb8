// BgpController: what the API's bgpglobal / bgpneighbor routes reach, and the loop that keeps
// the announcements current. Settings are validated, given to the speaker, then saved to
// <state dir>/bgp.json (mode 0600: it holds TCP-MD5 passwords); a refused change changes
// nothing. Every `period` the loop reads the inputs (which VIPs can serve, the HA state) and
// syncs the announcer, so a rule deleted or an endpoint gone down is withdrawn within a period
// plus gobgpd's update. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bgp/announcer.h"
#include "bgp/bgp_config.h"
#include "bgp/speaker.h"

namespace xlb::bgp {

struct BgpControllerOptions {
  std::string state_dir;  // bgp.json lives here
  std::function<AnnouncerInputs()> inputs;
  std::chrono::milliseconds period{200};
  bool keep_on_exit = false;  // stop() leaves the routes announced
};

// A configured neighbour with its session as the speaker reports it.
struct BgpNeighborStatus {
  BgpNeighbor config;
  std::string state = "Unknown";
  std::optional<uint64_t> uptime_s;
  uint32_t advertised = 0;
};

class BgpController {
 public:
  BgpController(BgpSpeaker& speaker, BgpControllerOptions options);
  ~BgpController();

  // Loads bgp.json, configures the speaker and starts the loop. A bad file is a start-up error.
  Result<void> start();
  // Stops the loop; withdraws this node's routes unless keep_on_exit.
  void stop();

  std::optional<BgpGlobal> global() const;
  Result<void> set_global(const BgpGlobal& g);
  Result<void> delete_global();  // not_found when none
  // conflict when the address is a neighbour already (delete it first).
  Result<void> add_neighbor(const BgpNeighbor& n);
  Result<void> delete_neighbor(const std::string& address);  // not_found when absent
  // The configured neighbours (with an operator's gobgpd: the ones it reports).
  Result<std::vector<BgpNeighborStatus>> neighbors() const;
  Routes announced() const;
  // One sync now (the loop does the same every period); for tests and the API's writes.
  void sync_now();

 private:
  Result<void> change(const std::function<Result<void>(BgpConfig&)>& edit);
  std::string file_path() const { return options_.state_dir + "/bgp.json"; }
  void loop();

  BgpSpeaker& speaker_;
  BgpControllerOptions options_;
  mutable std::mutex mu_;  // config_
  BgpConfig config_;
  mutable std::mutex sync_mu_;  // announcer_
  BgpAnnouncer announcer_;
  std::mutex loop_mu_;
  std::condition_variable loop_cv_;
  bool stopping_ = false;
  bool stopped_ = false;
  std::thread loop_;
};

}  // namespace xlb::bgp
