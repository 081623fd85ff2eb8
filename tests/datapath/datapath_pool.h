// The process's loaded datapaths, reused from test to test: loading one (the verifier) is most
// of a datapath test's cost. A datapath is lent as a fresh open would leave it: every map as
// right after open (MapState), the flow-event ring drained, nothing attached.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "datapath/bpf_datapath.h"

namespace xlbtest {

// What a lent datapath is opened with (unpinned).
struct DatapathShape {
  uint32_t ct_size = 65536;
  uint32_t ct_syn_size = 0;  // 0: the default share
  uint32_t max_services = 64;
  bool interfaces = true;  // the namespace's client and backend interfaces registered
  // tc, or xdp/automatic: the XDP program loaded too, over the same maps (xlbd --attach).
  xlb::AttachRequest attach = xlb::AttachRequest::tc;
  // How the TC program is attached (xlbd --tc-attach): tcx on this kernel by default.
  xlb::TcLinkRequest tc_link = xlb::TcLinkRequest::automatic;
  auto operator<=>(const DatapathShape&) const = default;
};

// Lends a datapath of `shape` (loading one when none is idle); null with `error` set when it
// cannot.
std::unique_ptr<xlb::BpfDatapath> borrow_datapath(const DatapathShape& shape, std::string& error);
// Takes a lent datapath back for the next borrower (one not from the pool is destroyed).
void return_datapath(std::unique_ptr<xlb::BpfDatapath> dp);

// A test's borrowed datapaths, each of the shape it asked for, owned until return_all() (before
// the test removes the interfaces they may be attached to).
class LentDatapaths {
 public:
  // Null, with the test failed, when none can be lent.
  xlb::BpfDatapath* borrow(const DatapathShape& shape);
  void return_all();
  ~LentDatapaths() { return_all(); }

 private:
  std::vector<std::unique_ptr<xlb::BpfDatapath>> lent_;
};

}  // namespace xlbtest
