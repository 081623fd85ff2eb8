// The Datapath contract: one set of expectations every Datapath implementation must meet, run
// against FakeDatapath in the unit tests (no kernel) and against BpfDatapath in the datapath
// tests (root, a private namespace), so the fake the reconciler, API and health code are tested
// with behaves like the maps they run with.
//
// Each binary supplies a ContractSubject per test through INSTANTIATE_TEST_SUITE_P on
// DatapathContract; the expectations live in datapath_contract.cpp, compiled into both.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "datapath/datapath.h"

namespace xlbtest {

// Sizes the subject's datapath is opened with; small, so "full" is reachable.
struct ContractSizes {
  uint32_t max_services = 8;
  uint32_t ct_size = 4096;
  uint32_t ct_syn_size = 1024;
};

// One implementation under test, with what the interface cannot do itself: write state only the
// BPF program writes (flows, counters) and read state the interface never returns.
class ContractSubject {
 public:
  virtual ~ContractSubject() = default;
  virtual xlb::Datapath& dp() = 0;
  // As the program would: a conntrack entry in the main or the syn map, counters on one CPU.
  virtual void put_flow(const xlb_ct_key& key, const xlb_ct_entry& entry, bool syn_map) = 0;
  virtual void put_service_counter(uint32_t svc_id, const xlb_counter& c) = 0;
  virtual void put_endpoint_counter(uint32_t svc_id, uint32_t ep_idx, const xlb_counter& c) = 0;
  virtual void put_dsr_counter(uint32_t svc_id, uint32_t ep_idx, const xlb_dsr_counter& c) = 0;
  virtual void put_datapath_counter(uint32_t reason, uint64_t value) = 0;
  virtual std::optional<xlb_vip_info> vip(const xlb_ip& ip) = 0;
  // A rule's maglev table as installed; nullopt when it has none.
  virtual std::optional<std::vector<uint32_t>> maglev_table(uint32_t svc_id, uint8_t gen) = 0;
  // An interface that exists where the subject runs (attach must succeed on it).
  virtual std::string existing_interface() = 0;
};

// Opens a subject; sets `skip` (and returns nullptr) where it cannot run here.
using SubjectMaker =
    std::function<std::unique_ptr<ContractSubject>(const ContractSizes&, std::string& skip)>;

struct ContractImpl {
  std::string name;  // test-name suffix: "Fake", "Bpf"
  SubjectMaker make;
};

// Names the implementation in test output (ctest names are taken from it).
inline void PrintTo(const ContractImpl& impl, std::ostream* os) { *os << impl.name; }

class DatapathContract : public ::testing::TestWithParam<ContractImpl> {
 protected:
  void SetUp() override;
  void TearDown() override;
  xlb::Datapath& dp() { return subject_->dp(); }
  ContractSubject& subject() { return *subject_; }

  const ContractSizes sizes_{};
  std::unique_ptr<ContractSubject> subject_;
};

// For INSTANTIATE_TEST_SUITE_P's name generator.
std::string contract_impl_name(const ::testing::TestParamInfo<ContractImpl>& info);

}  // namespace xlbtest
