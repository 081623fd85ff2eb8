// The Datapath contract (tests/contract/) run against FakeDatapath; tests/datapath runs it
// against BpfDatapath.
#include "datapath/fake/fake_datapath.h"
#include "datapath_contract.h"

namespace xlbtest {
namespace {

class FakeSubject final : public ContractSubject {
 public:
  explicit FakeSubject(const ContractSizes& sizes) : dp_(sizes.max_services) {
    dp_.set_ct_capacity(sizes.ct_size, sizes.ct_syn_size);
    dp_.add_interface(kFakeInterface);
  }
  xlb::Datapath& dp() override { return dp_; }
  void put_flow(const xlb_ct_key& key, const xlb_ct_entry& entry, bool syn_map) override {
    dp_.add_flow(key, entry, syn_map);
  }
  void put_service_counter(uint32_t svc_id, const xlb_counter& c) override {
    dp_.set_service_counter(svc_id, c);
  }
  void put_endpoint_counter(uint32_t svc_id, uint32_t ep_idx, const xlb_counter& c) override {
    dp_.set_endpoint_counter(svc_id, ep_idx, c);
  }
  void put_dsr_counter(uint32_t svc_id, uint32_t ep_idx, const xlb_dsr_counter& c) override {
    dp_.set_dsr_counter(svc_id, ep_idx, c);
  }
  void put_datapath_counter(uint32_t reason, uint64_t value) override {
    auto counters = *dp_.datapath_counters();
    counters.at(reason) = value;
    dp_.set_datapath_counters(std::move(counters));
  }
  std::optional<xlb_vip_info> vip(const xlb_ip& ip) override {
    auto it = dp_.vips().find(ip);
    return it == dp_.vips().end() ? std::nullopt : std::optional(it->second);
  }
  std::optional<std::vector<uint32_t>> maglev_table(uint32_t svc_id, uint8_t gen) override {
    auto it = dp_.maglev_tables().find(xlb_maglev_key(svc_id, gen));
    return it == dp_.maglev_tables().end() ? std::nullopt : std::optional(it->second);
  }
  std::string existing_interface() override { return kFakeInterface; }

 private:
  static constexpr const char* kFakeInterface = "eth0";
  xlb::FakeDatapath dp_;
};

INSTANTIATE_TEST_SUITE_P(Fake, DatapathContract,
                         ::testing::Values(ContractImpl{
                             "Fake",
                             [](const ContractSizes& sizes, std::string&) {
                               return std::unique_ptr<ContractSubject>(new FakeSubject(sizes));
                             }}),
                         contract_impl_name);

}  // namespace
}  // namespace xlbtest
