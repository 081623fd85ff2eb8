#include "datapath_pool.h"

#include <gtest/gtest.h>

#include <map>

#include "map_state.h"
#include "topology.h"

namespace xlbtest {
namespace {

struct PooledDatapath {
  DatapathShape shape;
  MapState fresh;                        // its maps right after open
  std::unique_ptr<xlb::BpfDatapath> dp;  // null while lent
};

// By address of the datapath, which stays put while lent.
std::map<const xlb::BpfDatapath*, PooledDatapath>& datapath_pool() {
  static std::map<const xlb::BpfDatapath*, PooledDatapath> pool;
  return pool;
}

std::unique_ptr<xlb::BpfDatapath> open_pooled(const DatapathShape& shape, std::string& error) {
  xlb::BpfDatapathOptions opts;
  opts.pin_dir = "";
  opts.ct_size = shape.ct_size;
  opts.ct_syn_size = shape.ct_syn_size;
  opts.max_services = shape.max_services;
  opts.attach = shape.attach;
  opts.tc_link = shape.tc_link;
  auto dp = xlb::BpfDatapath::open(opts);
  if (!dp.ok()) {
    error = "BpfDatapath::open: " + dp.error().message;
    return nullptr;
  }
  if (shape.interfaces) {
    for (auto [ifindex, mac] : {std::pair{env().cli_ifindex, kLbCliMac.data()},
                                std::pair{env().be_ifindex, kLbBeMac.data()}})
      if (auto r = (*dp)->register_interface(ifindex, mac); !r.ok()) {
        error = "register_interface: " + r.error().message;
        return nullptr;
      }
  }
  PooledDatapath entry{shape, {}, nullptr};
  if (error = entry.fresh.capture((*dp)->program_fd()); !error.empty()) return nullptr;
  datapath_pool().emplace(dp->get(), std::move(entry));
  return std::move(*dp);
}

// Puts a used datapath back as open() left it: nothing attached, no flow event pending, every
// map as captured.
std::string reset_pooled(PooledDatapath& entry) {
  xlb::BpfDatapath& dp = *entry.dp;
  for (const auto& a : dp.attachments())
    if (auto r = dp.detach(a.ifname); !r.ok()) return "detach: " + r.error().message;
  auto drained = dp.poll_flow_events(0, [](const xlb::Datapath::FlowEvent&) {});
  if (!drained.ok()) return "drain the flow events: " + drained.error().message;
  return entry.fresh.restore(dp.program_fd());
}

}  // namespace

std::unique_ptr<xlb::BpfDatapath> borrow_datapath(const DatapathShape& shape, std::string& error) {
  error.clear();
  auto& pool = datapath_pool();
  for (auto it = pool.begin(); it != pool.end(); ++it) {
    if (!it->second.dp || it->second.shape != shape) continue;
    if (error = reset_pooled(it->second); error.empty()) return std::move(it->second.dp);
    error = "resetting a reused datapath: " + error;
    pool.erase(it);  // not lent again; the borrower is told, and gets a new one
    std::string open_error;
    auto dp = open_pooled(shape, open_error);
    if (!open_error.empty()) error += "; then " + open_error;
    return dp;
  }
  return open_pooled(shape, error);
}

void return_datapath(std::unique_ptr<xlb::BpfDatapath> dp) {
  if (!dp) return;
  auto it = datapath_pool().find(dp.get());
  if (it != datapath_pool().end()) it->second.dp = std::move(dp);
}

xlb::BpfDatapath* LentDatapaths::borrow(const DatapathShape& shape) {
  std::string error;
  lent_.push_back(borrow_datapath(shape, error));
  EXPECT_EQ(error, "");
  return lent_.back().get();
}

void LentDatapaths::return_all() {
  for (auto& dp : lent_) return_datapath(std::move(dp));
  lent_.clear();
}

}  // namespace xlbtest
