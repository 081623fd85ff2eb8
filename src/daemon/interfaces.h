// Interface discovery over netlink (libnl-route-3): which interfaces xlbd manages, and
// attaching the datapath to them as they appear or come up.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "datapath/datapath.h"

struct nl_cache;
struct nl_cache_mngr;
struct nl_object;

namespace xlb::daemon {

struct LinkInfo {
  std::string name;
  bool loopback = false;
  bool up = false;
};

// Every link in this network namespace, read once.
Result<std::vector<LinkInfo>> list_links();
// Error naming the first of `names` that does not exist here, and how to find the right one.
Result<void> check_interfaces_exist(const std::vector<std::string>& names);

class InterfaceManager {
 public:
  // `names` empty: every non-loopback interface, including ones created later.
  InterfaceManager(Datapath& datapath, std::vector<std::string> names);
  ~InterfaceManager();
  InterfaceManager(const InterfaceManager&) = delete;
  InterfaceManager& operator=(const InterfaceManager&) = delete;

  // Attaches to the current interfaces, then follows link events on a thread of its own.
  // A named interface that cannot be attached fails start(); in discovery mode it is logged.
  Result<void> start();
  // Stops following events; the datapath stays attached.
  void stop();
  std::vector<std::string> managed() const;
  // The managed interfaces with the hook each was attached with.
  std::vector<Attachment> attachments() const;

 private:
  static void on_change(nl_cache* cache, nl_object* obj, int action, void* self);
  void handle(const LinkInfo& link, int action);
  bool wanted(const LinkInfo& link) const;
  Result<void> attach(const std::string& name);
  void run();

  Datapath& datapath_;
  std::vector<std::string> names_;
  nl_cache_mngr* mngr_ = nullptr;
  nl_cache* cache_ = nullptr;
  int stop_fd_ = -1;  // eventfd that wakes run() for stop()
  std::thread thread_;

  mutable std::mutex mu_;
  std::map<std::string, Attachment> attached_;  // name -> the hooks the datapath chose
  std::map<std::string, bool> was_up_;  // last seen IFF_UP, to retry attach when a link comes up
};

}  // namespace xlb::daemon
