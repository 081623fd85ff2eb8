#include "datapath/addr_filter.h"

#include <sys/mman.h>

#include <atomic>
#include <cstring>

#include "datapath/map.h"

namespace xlb {

Result<AddrFilterMapping> AddrFilterMapping::map(int map_fd) {
  void* p = mmap(nullptr, sizeof(xlb_addr_filter), PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
  if (p == MAP_FAILED) return map_error("mmap", XLB_MAP_ADDR_FILTER, errno);
  return AddrFilterMapping(static_cast<xlb_addr_filter*>(p));
}

AddrFilterMapping::AddrFilterMapping(AddrFilterMapping&& other) noexcept : filter_(other.filter_) {
  other.filter_ = nullptr;
}

AddrFilterMapping::~AddrFilterMapping() {
  if (filter_) munmap(filter_, sizeof(xlb_addr_filter));
}

// The datapath ORs bits into the same words concurrently: atomic read-modify-writes only.
void AddrFilterMapping::mark(const xlb_ip& addr) {
  const uint32_t bit = xlb_addr_filter_bit(&addr);
  std::atomic_ref<__u64>(filter_->bits[bit / 64]).fetch_or(__u64{1} << (bit % 64));
}

void AddrFilterMapping::mark_all() {
  for (auto& word : filter_->bits) std::atomic_ref<__u64>(word).store(~__u64{0});
}

bool AddrFilterMapping::has(const xlb_ip& addr) const {
  const uint32_t bit = xlb_addr_filter_bit(&addr);
  return (std::atomic_ref<__u64>(filter_->bits[bit / 64]).load() >> (bit % 64)) & 1;
}

}  // namespace xlb
