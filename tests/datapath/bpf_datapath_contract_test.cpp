// The Datapath contract (tests/contract/) run against BpfDatapath: real maps, in this process's
// private network namespace; the unit tests run it against FakeDatapath.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <map>

#include "datapath/bpf_datapath.h"
#include "datapath_contract.h"
#include "fixture.h"
#include "topology.h"

namespace xlbtest {
namespace {

class BpfSubject final : public ContractSubject {
 public:
  explicit BpfSubject(std::unique_ptr<xlb::BpfDatapath> dp) : dp_(std::move(dp)) {}
  ~BpfSubject() override {
    for (auto& [name, fd] : fds_) close(fd);
    return_datapath(std::move(dp_));  // detached and reset for the next test
  }

  xlb::Datapath& dp() override { return *dp_; }

  void put_flow(const xlb_ct_key& key, const xlb_ct_entry& entry, bool syn_map) override {
    const char* map = syn_map ? XLB_MAP_CT_SYN : XLB_MAP_CT;
    ASSERT_EQ(bpf_map_update_elem(fd(map), &key, &entry, BPF_ANY), 0) << "update " << map;
  }
  void put_service_counter(uint32_t svc_id, const xlb_counter& c) override {
    put_on_first_cpu(XLB_MAP_SVC_STATS, svc_id, c);
  }
  void put_endpoint_counter(uint32_t svc_id, uint32_t ep_idx, const xlb_counter& c) override {
    put_on_first_cpu(XLB_MAP_EP_STATS, xlb_ep_slot(svc_id, ep_idx), c);
  }
  void put_dsr_counter(uint32_t svc_id, uint32_t ep_idx, const xlb_dsr_counter& c) override {
    put_on_first_cpu(XLB_MAP_EP_DSR, xlb_ep_slot(svc_id, ep_idx), c);
  }
  void put_datapath_counter(uint32_t reason, uint64_t value) override {
    put_on_first_cpu(XLB_MAP_DP_STATS, reason, value);
  }
  std::optional<xlb_vip_info> vip(const xlb_ip& ip) override {
    xlb_vip_info info{};
    if (bpf_map_lookup_elem(fd(XLB_MAP_VIP), &ip, &info) != 0) return std::nullopt;
    return info;
  }
  std::optional<std::vector<uint32_t>> maglev_table(uint32_t svc_id, uint8_t gen) override {
    uint32_t inner_id = 0;
    const uint32_t key = xlb_maglev_key(svc_id, gen);
    if (bpf_map_lookup_elem(fd(XLB_MAP_MAGLEV), &key, &inner_id) != 0) return std::nullopt;
    int inner = bpf_map_get_fd_by_id(inner_id);
    bpf_map_info info{};
    uint32_t len = sizeof info;
    if (inner < 0 || bpf_obj_get_info_by_fd(inner, &info, &len) != 0) {
      ADD_FAILURE() << "cannot open the maglev table of rule " << svc_id;
      if (inner >= 0) close(inner);
      return std::nullopt;
    }
    std::vector<uint32_t> table(info.max_entries);
    for (uint32_t i = 0; i < table.size(); ++i) bpf_map_lookup_elem(inner, &i, &table[i]);
    close(inner);
    return table;
  }
  std::string existing_interface() override { return kCliIf; }

 private:
  int fd(const char* map) {
    if (auto it = fds_.find(map); it != fds_.end()) return it->second;
    int fd = open_program_map(dp_->program_fd(), map);
    EXPECT_GE(fd, 0) << "the datapath program uses no map named " << map;
    return fds_[map] = fd;
  }
  // A per-CPU map's value as one CPU counted it (the others zero).
  template <class V>
  void put_on_first_cpu(const char* map, uint32_t index, const V& value) {
    std::vector<V> values(static_cast<size_t>(libbpf_num_possible_cpus()));
    values.at(0) = value;
    ASSERT_EQ(bpf_map_update_elem(fd(map), &index, values.data(), BPF_ANY), 0) << "update " << map;
  }

  std::unique_ptr<xlb::BpfDatapath> dp_;
  std::map<std::string, int> fds_;
};

std::unique_ptr<ContractSubject> open_bpf_subject(const ContractSizes& sizes, std::string& skip) {
  if (!env().skip_reason.empty()) {
    skip = env().skip_reason;
    return nullptr;
  }
  EXPECT_TRUE(env().ready) << env().error;
  if (!env().ready) return nullptr;
  // A datapath as a fresh open leaves it, from the process's pool (no interface registered).
  DatapathShape shape{sizes.ct_size, sizes.ct_syn_size, sizes.max_services, false};
  std::string error;
  auto dp = borrow_datapath(shape, error);
  EXPECT_EQ(error, "");
  if (!dp) return nullptr;
  return std::make_unique<BpfSubject>(std::move(dp));
}

INSTANTIATE_TEST_SUITE_P(Bpf, DatapathContract,
                         ::testing::Values(ContractImpl{"Bpf", open_bpf_subject}),
                         contract_impl_name);

}  // namespace
}  // namespace xlbtest
