// xlbd's side of the datapath pre-filter (include/xlb/abi/addr_filter.h, bpf/lib/addr_filter.h):
// the bitmap mapped into this process, so a VIP or a synced flow gets its bit with one atomic
// OR, as the datapath sets its own, never by rewriting the 64 KiB value through the map API.
#pragma once

#include "common/result.h"
#include "xlb/abi/xlb.h"

namespace xlb {

class AddrFilterMapping {
 public:
  // Maps the filter map's value (an mmapable array of one element).
  static Result<AddrFilterMapping> map(int map_fd);
  AddrFilterMapping(AddrFilterMapping&& other) noexcept;
  AddrFilterMapping& operator=(AddrFilterMapping&&) = delete;
  AddrFilterMapping(const AddrFilterMapping&) = delete;
  ~AddrFilterMapping();

  // Packets from or to `addr` take the full path from now on.
  void mark(const xlb_ip& addr);
  // Every packet takes the full path (a filter newer than the flows it must know about).
  void mark_all();
  bool has(const xlb_ip& addr) const;

 private:
  explicit AddrFilterMapping(xlb_addr_filter* filter) : filter_(filter) {}
  xlb_addr_filter* filter_;
};

}  // namespace xlb
