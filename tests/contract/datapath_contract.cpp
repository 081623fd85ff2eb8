#include "datapath_contract.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace xlbtest {

void DatapathContract::SetUp() {
  std::string skip;
  subject_ = GetParam().make(sizes_, skip);
  if (!skip.empty()) GTEST_SKIP() << skip;
  ASSERT_TRUE(subject_) << "the " << GetParam().name << " datapath did not open";
}

void DatapathContract::TearDown() { subject_.reset(); }

std::string contract_impl_name(const ::testing::TestParamInfo<ContractImpl>& info) {
  return info.param.name;
}

namespace {

xlb_ip contract_ip(const char* text) {
  xlb_ip ip{};
  inet_pton(AF_INET, text, &ip.w[0]);
  return ip;
}

xlb_svc_key contract_svc_key(uint16_t port) {
  xlb_svc_key key{};
  key.vip = contract_ip("10.9.0.1");
  key.port = htons(port);
  key.proto = IPPROTO_TCP;
  key.family = XLB_AF_INET;
  return key;
}

xlb_svc contract_svc(uint32_t id, uint8_t nr_endpoints = 1) {
  xlb_svc svc{};
  svc.id = id;
  svc.nr_endpoints = nr_endpoints;
  svc.eps[0].addr = contract_ip("10.9.1.1");
  svc.eps[0].port = htons(8080);
  svc.eps[0].weight = 1;
  svc.eps[0].family = XLB_AF_INET;
  return svc;
}

xlb_ct_key contract_ct_key(uint16_t sport) {
  xlb_ct_key key{};
  key.saddr = contract_ip("10.9.2.1");
  key.daddr = contract_ip("10.9.0.1");
  key.sport = htons(sport);
  key.dport = htons(80);
  key.proto = IPPROTO_TCP;
  key.family = XLB_AF_INET;
  return key;
}

xlb_ct_entry contract_ct_entry(uint32_t svc_id, uint8_t state) {
  xlb_ct_entry e{};
  e.nat_daddr = contract_ip("10.9.1.1");
  e.nat_dport = htons(8080);
  e.dir = XLB_DIR_ORIG;
  e.state = state;
  e.svc_id = svc_id;
  return e;
}

template <class T>
bool same_bytes(const T& a, const T& b) {
  return std::memcmp(&a, &b, sizeof(T)) == 0;
}

// list_services() as (port, id) pairs, sorted: a hash map has no order to compare.
std::vector<std::pair<uint16_t, uint32_t>> listed(xlb::Datapath& dp) {
  auto list = dp.list_services();
  EXPECT_TRUE(list.ok()) << list.error().message;
  std::vector<std::pair<uint16_t, uint32_t>> out;
  if (!list.ok()) return out;
  for (const auto& [key, svc] : *list) out.emplace_back(ntohs(key.port), svc.id);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<xlb::CtFlow> visited(xlb::Datapath& dp, size_t stop_after = SIZE_MAX) {
  std::vector<xlb::CtFlow> out;
  auto r = dp.for_each_flow([&](const xlb::CtFlow& f) {
    out.push_back(f);
    return out.size() < stop_after;
  });
  EXPECT_TRUE(r.ok()) << r.error().message;
  return out;
}

#define EXPECT_DP_OK(expr)                                    \
  do {                                                        \
    auto r_ = (expr);                                         \
    EXPECT_TRUE(r_.ok()) << #expr ": " << r_.error().message; \
  } while (0)
// A Result that must hold a value the test goes on to read.
#define ASSERT_DP_OK(result) ASSERT_TRUE((result).ok()) << (result).error().message

}  // namespace

TEST_P(DatapathContract, ReportsTheCapacitiesItWasOpenedWith) {
  EXPECT_EQ(dp().max_services(), sizes_.max_services);
  EXPECT_EQ(dp().ct_capacity(), sizes_.ct_size);
  EXPECT_EQ(dp().ct_syn_capacity(), sizes_.ct_syn_size);
}

TEST_P(DatapathContract, ServicesAreUpsertedListedReplacedAndDeleted) {
  EXPECT_TRUE(listed(dp()).empty());
  EXPECT_DP_OK(dp().upsert_service(contract_svc_key(80), contract_svc(1)));
  EXPECT_DP_OK(dp().upsert_service(contract_svc_key(443), contract_svc(2)));
  EXPECT_EQ(listed(dp()), (std::vector<std::pair<uint16_t, uint32_t>>{{80, 1}, {443, 2}}));

  xlb_svc replaced = contract_svc(3, 2);
  EXPECT_DP_OK(dp().upsert_service(contract_svc_key(80), replaced));
  auto list = dp().list_services();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  for (const auto& [key, svc] : *list) {
    if (same_bytes(key, contract_svc_key(80))) {
      EXPECT_TRUE(same_bytes(svc, replaced));
    }
  }

  EXPECT_DP_OK(dp().delete_service(contract_svc_key(80)));
  EXPECT_EQ(listed(dp()), (std::vector<std::pair<uint16_t, uint32_t>>{{443, 2}}));
}

// The state asked for (no such rule) holds, as for an absent key in the kernel's map.
TEST_P(DatapathContract, DeletingAnAbsentServiceOrVipSucceeds) {
  EXPECT_DP_OK(dp().delete_service(contract_svc_key(81)));
  EXPECT_DP_OK(dp().delete_vip(contract_ip("10.9.0.99")));
  EXPECT_TRUE(listed(dp()).empty());
}

TEST_P(DatapathContract, RuleIdsStopAtMaxServices) {
  const uint32_t max = sizes_.max_services;
  EXPECT_DP_OK(dp().upsert_service(contract_svc_key(80), contract_svc(max - 1)));
  EXPECT_FALSE(dp().upsert_service(contract_svc_key(81), contract_svc(max)).ok());
  EXPECT_EQ(listed(dp()), (std::vector<std::pair<uint16_t, uint32_t>>{{80, max - 1}}));
}

TEST_P(DatapathContract, TheServiceAndVipMapsHoldMaxServicesEntries) {
  const uint32_t max = sizes_.max_services;
  for (uint32_t i = 0; i < max; ++i) {
    EXPECT_DP_OK(
        dp().upsert_service(contract_svc_key(static_cast<uint16_t>(100 + i)), contract_svc(i)));
    xlb_ip vip = contract_ip("10.9.0.1");
    vip.w[0] = htonl(ntohl(vip.w[0]) + i);
    EXPECT_DP_OK(dp().upsert_vip(vip, xlb_vip_info{1, 0}));
  }
  EXPECT_FALSE(dp().upsert_service(contract_svc_key(99), contract_svc(0)).ok());
  EXPECT_FALSE(dp().upsert_vip(contract_ip("10.9.0.200"), xlb_vip_info{1, 0}).ok());
  // Full, but an entry already there can still change.
  EXPECT_DP_OK(dp().upsert_service(contract_svc_key(100), contract_svc(1)));
  EXPECT_DP_OK(dp().upsert_vip(contract_ip("10.9.0.1"), xlb_vip_info{2, 0}));
  EXPECT_EQ(listed(dp()).size(), max);
}

TEST_P(DatapathContract, VipsAreUpsertedReplacedAndDeleted) {
  const xlb_ip vip = contract_ip("10.9.0.1");
  EXPECT_FALSE(subject().vip(vip).has_value());
  EXPECT_DP_OK(dp().upsert_vip(vip, xlb_vip_info{1, 0}));
  ASSERT_TRUE(subject().vip(vip).has_value());
  EXPECT_EQ(subject().vip(vip)->rules, 1u);
  EXPECT_DP_OK(dp().upsert_vip(vip, xlb_vip_info{3, 0}));
  EXPECT_EQ(subject().vip(vip)->rules, 3u);
  EXPECT_DP_OK(dp().delete_vip(vip));
  EXPECT_FALSE(subject().vip(vip).has_value());
}

TEST_P(DatapathContract, CountersStartAtZero) {
  auto svc = dp().service_counter(1);
  ASSERT_TRUE(svc.ok()) << svc.error().message;
  EXPECT_TRUE(same_bytes(*svc, xlb_counter{}));
  auto ep = dp().endpoint_counter(1, XLB_MAX_ENDPOINTS - 1);
  ASSERT_TRUE(ep.ok()) << ep.error().message;
  EXPECT_TRUE(same_bytes(*ep, xlb_counter{}));
  auto dsr = dp().dsr_counter(1, XLB_MAX_ENDPOINTS - 1);
  ASSERT_TRUE(dsr.ok()) << dsr.error().message;
  EXPECT_TRUE(same_bytes(*dsr, xlb_dsr_counter{}));
  auto all = dp().datapath_counters();
  ASSERT_TRUE(all.ok()) << all.error().message;
  EXPECT_EQ(*all, std::vector<uint64_t>(XLB_STAT_MAX, 0));
  auto active = dp().active_flows(1, 0);
  ASSERT_TRUE(active.ok()) << active.error().message;
  EXPECT_EQ(*active, 0u);
}

TEST_P(DatapathContract, CountersReadWhatTheDatapathCounted) {
  subject().put_service_counter(2, xlb_counter{10, 1000, 3});
  subject().put_endpoint_counter(2, 5, xlb_counter{4, 400, 1});
  subject().put_datapath_counter(XLB_STAT_PASS_NO_RULE, 7);
  auto svc = dp().service_counter(2);
  ASSERT_TRUE(svc.ok());
  EXPECT_TRUE(same_bytes(*svc, xlb_counter{10, 1000, 3}));
  auto ep = dp().endpoint_counter(2, 5);
  ASSERT_TRUE(ep.ok());
  EXPECT_TRUE(same_bytes(*ep, xlb_counter{4, 400, 1}));
  // A neighbouring slot is its own.
  EXPECT_TRUE(same_bytes(*dp().endpoint_counter(2, 4), xlb_counter{}));
  EXPECT_TRUE(same_bytes(*dp().endpoint_counter(3, 5), xlb_counter{}));
  subject().put_dsr_counter(2, 5, xlb_dsr_counter{6, 2});
  auto dsr = dp().dsr_counter(2, 5);
  ASSERT_TRUE(dsr.ok());
  EXPECT_TRUE(same_bytes(*dsr, xlb_dsr_counter{6, 2}));
  EXPECT_TRUE(same_bytes(*dp().dsr_counter(2, 4), xlb_dsr_counter{}));
  auto all = dp().datapath_counters();
  ASSERT_TRUE(all.ok());
  std::vector<uint64_t> expected(XLB_STAT_MAX, 0);
  expected[XLB_STAT_PASS_NO_RULE] = 7;
  EXPECT_EQ(*all, expected);
}

// A rule id is reused by a new rule: it must not inherit counts or active flows.
TEST_P(DatapathContract, ResetZeroesOneRulesCountersAndActiveFlows) {
  for (uint32_t id : {1u, 2u}) {
    subject().put_service_counter(id, xlb_counter{10, 1000, 3});
    subject().put_endpoint_counter(id, 0, xlb_counter{4, 400, 1});
    subject().put_endpoint_counter(id, XLB_MAX_ENDPOINTS - 1, xlb_counter{5, 500, 2});
    subject().put_dsr_counter(id, XLB_MAX_ENDPOINTS - 1, xlb_dsr_counter{7, 1});
    EXPECT_DP_OK(dp().set_active_flows(id, 3, 9));
  }
  EXPECT_DP_OK(dp().reset_service_counters(1));
  EXPECT_TRUE(same_bytes(*dp().service_counter(1), xlb_counter{}));
  EXPECT_TRUE(same_bytes(*dp().endpoint_counter(1, 0), xlb_counter{}));
  EXPECT_TRUE(same_bytes(*dp().endpoint_counter(1, XLB_MAX_ENDPOINTS - 1), xlb_counter{}));
  EXPECT_EQ(*dp().active_flows(1, 3), 0u);
  EXPECT_TRUE(same_bytes(*dp().dsr_counter(1, XLB_MAX_ENDPOINTS - 1), xlb_dsr_counter{}));
  EXPECT_TRUE(same_bytes(*dp().dsr_counter(2, XLB_MAX_ENDPOINTS - 1), xlb_dsr_counter{7, 1}));
  EXPECT_TRUE(same_bytes(*dp().service_counter(2), xlb_counter{10, 1000, 3}));
  EXPECT_TRUE(same_bytes(*dp().endpoint_counter(2, XLB_MAX_ENDPOINTS - 1), xlb_counter{5, 500, 2}));
  EXPECT_EQ(*dp().active_flows(2, 3), 9u);
}

TEST_P(DatapathContract, ActiveFlowsAreSetPerEndpoint) {
  EXPECT_DP_OK(dp().set_active_flows(1, 3, 5));
  EXPECT_EQ(*dp().active_flows(1, 3), 5u);
  EXPECT_EQ(*dp().active_flows(1, 2), 0u);
  EXPECT_EQ(*dp().active_flows(2, 3), 0u);
  EXPECT_DP_OK(dp().set_active_flows(1, 3, 0));
  EXPECT_EQ(*dp().active_flows(1, 3), 0u);
}

// Per-rule slots exist for rule ids below max_services and endpoint indexes below 32 only; a
// slot beyond them is an error, never another rule's slot.
TEST_P(DatapathContract, SlotsBeyondTheRuleOrEndpointLimitsAreRefused) {
  const uint32_t max = sizes_.max_services;
  EXPECT_FALSE(dp().service_counter(max).ok());
  EXPECT_FALSE(dp().reset_service_counters(max).ok());
  EXPECT_FALSE(dp().endpoint_counter(max, 0).ok());
  EXPECT_FALSE(dp().endpoint_counter(0, XLB_MAX_ENDPOINTS).ok());
  EXPECT_FALSE(dp().dsr_counter(max, 0).ok());
  EXPECT_FALSE(dp().dsr_counter(0, XLB_MAX_ENDPOINTS).ok());
  EXPECT_FALSE(dp().active_flows(max, 0).ok());
  EXPECT_FALSE(dp().active_flows(0, XLB_MAX_ENDPOINTS).ok());
  EXPECT_FALSE(dp().set_active_flows(0, XLB_MAX_ENDPOINTS, 1).ok());
  EXPECT_FALSE(dp().set_active_flows(max, 0, 1).ok());
  EXPECT_EQ(*dp().active_flows(1, 0), 0u);  // endpoint 32 of rule 0 is not rule 1's endpoint 0
  EXPECT_FALSE(dp().set_maglev_table(max, 0, {0, 0, 0}).ok());
  EXPECT_FALSE(dp().clear_maglev_table(max).ok());
}

TEST_P(DatapathContract, FlowsAreFoundInTheMainMapFirstThenTheSynMap) {
  const xlb_ct_key both = contract_ct_key(1000), syn_only = contract_ct_key(1001);
  const xlb_ct_entry est = contract_ct_entry(1, XLB_CT_EST);
  const xlb_ct_entry syn = contract_ct_entry(1, XLB_CT_SYN_SENT);
  subject().put_flow(both, est, false);
  subject().put_flow(both, syn, true);
  subject().put_flow(syn_only, syn, true);

  auto found = dp().lookup_flow(both);
  ASSERT_TRUE(found.ok()) << found.error().message;
  ASSERT_TRUE(found->has_value());
  EXPECT_TRUE(same_bytes(**found, est));
  auto in_syn = dp().lookup_flow(syn_only);
  ASSERT_TRUE(in_syn.ok());
  ASSERT_TRUE(in_syn->has_value());
  EXPECT_TRUE(same_bytes(**in_syn, syn));
  auto absent = dp().lookup_flow(contract_ct_key(1002));
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(absent->has_value());
}

TEST_P(DatapathContract, ForEachFlowVisitsTheMainMapThenTheSynMap) {
  for (uint16_t p = 0; p < 3; ++p)
    subject().put_flow(contract_ct_key(2000 + p), contract_ct_entry(p, XLB_CT_EST), false);
  for (uint16_t p = 0; p < 2; ++p)
    subject().put_flow(contract_ct_key(3000 + p), contract_ct_entry(p, XLB_CT_SYN_SENT), true);

  auto flows = visited(dp());
  ASSERT_EQ(flows.size(), 5u);
  for (size_t i = 0; i < flows.size(); ++i) {
    const bool syn = i >= 3;
    EXPECT_EQ(flows[i].syn_map, syn) << i;
    const uint16_t sport = ntohs(flows[i].key.sport);
    EXPECT_EQ(sport / 1000, syn ? 3 : 2) << "flow " << i << " came from the other map";
    EXPECT_TRUE(same_bytes(flows[i].entry,
                           contract_ct_entry(sport % 1000, syn ? XLB_CT_SYN_SENT : XLB_CT_EST)));
  }
}

TEST_P(DatapathContract, ForEachFlowStopsWhenTheVisitorSaysSo) {
  for (uint16_t p = 0; p < 3; ++p)
    subject().put_flow(contract_ct_key(2000 + p), contract_ct_entry(p, XLB_CT_EST), false);
  subject().put_flow(contract_ct_key(3000), contract_ct_entry(0, XLB_CT_SYN_SENT), true);
  EXPECT_EQ(visited(dp(), 2).size(), 2u);
  EXPECT_EQ(visited(dp(), 3).size(), 3u);  // the syn map is not visited after a stop
  EXPECT_EQ(visited(dp(), 4).size(), 4u);
}

TEST_P(DatapathContract, DeleteFlowRemovesTheKeyFromBothMaps) {
  const xlb_ct_key key = contract_ct_key(1000), other = contract_ct_key(1001);
  subject().put_flow(key, contract_ct_entry(1, XLB_CT_EST), false);
  subject().put_flow(key, contract_ct_entry(1, XLB_CT_SYN_SENT), true);
  subject().put_flow(other, contract_ct_entry(1, XLB_CT_EST), false);
  EXPECT_DP_OK(dp().delete_flow(key));
  EXPECT_FALSE(dp().lookup_flow(key)->has_value());
  EXPECT_TRUE(dp().lookup_flow(other)->has_value());
  EXPECT_EQ(visited(dp()).size(), 1u);
  EXPECT_DP_OK(dp().delete_flow(key));  // absent: the state asked for holds
}

TEST_P(DatapathContract, MaglevTablesAreInstalledReplacedAndCleared) {
  EXPECT_FALSE(subject().maglev_table(1, 0).has_value());
  const std::vector<uint32_t> first = {0, 1, 0, 1, 1, 0, 1};
  EXPECT_DP_OK(dp().set_maglev_table(1, 0, first));
  EXPECT_EQ(subject().maglev_table(1, 0), first);
  const std::vector<uint32_t> same_size = {1, 1, 1, 0, 0, 0, 1};
  EXPECT_DP_OK(dp().set_maglev_table(1, 0, same_size));
  EXPECT_EQ(subject().maglev_table(1, 0), same_size);
  const std::vector<uint32_t> resized = {2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0};
  EXPECT_DP_OK(dp().set_maglev_table(1, 0, resized));
  EXPECT_EQ(subject().maglev_table(1, 0), resized);
  EXPECT_FALSE(subject().maglev_table(2, 0).has_value());
  EXPECT_FALSE(subject().maglev_table(1, 1).has_value());
  EXPECT_FALSE(subject().maglev_table(0, 1).has_value());  // rule 0's second is not rule 1's first
  EXPECT_DP_OK(dp().clear_maglev_table(1));
  EXPECT_FALSE(subject().maglev_table(1, 0).has_value());
  EXPECT_DP_OK(dp().clear_maglev_table(1));  // none installed: the state asked for holds
}

TEST_P(DatapathContract, EachRuleHasTwoMaglevTablesClearedTogether) {
  const std::vector<uint32_t> first = {0, 1, 0, 1, 1};
  const std::vector<uint32_t> second = {1, 1, 0};
  EXPECT_DP_OK(dp().set_maglev_table(3, 0, first));
  EXPECT_DP_OK(dp().set_maglev_table(3, 1, second));
  EXPECT_EQ(subject().maglev_table(3, 0), first);
  EXPECT_EQ(subject().maglev_table(3, 1), second);
  EXPECT_FALSE(dp().set_maglev_table(3, 2, first).ok());
  EXPECT_DP_OK(dp().clear_maglev_table(3));
  EXPECT_FALSE(subject().maglev_table(3, 0).has_value());
  EXPECT_FALSE(subject().maglev_table(3, 1).has_value());
}

TEST_P(DatapathContract, MaglevTablesAreOneToMaxSizeEntries) {
  EXPECT_FALSE(dp().set_maglev_table(1, 0, {}).ok());
  EXPECT_FALSE(dp().set_maglev_table(1, 0, std::vector<uint32_t>(XLB_MAGLEV_MAX_SIZE + 1, 0)).ok());
  EXPECT_FALSE(subject().maglev_table(1, 0).has_value());
  EXPECT_DP_OK(dp().set_maglev_table(1, 1, std::vector<uint32_t>(XLB_MAGLEV_MAX_SIZE, 0)));
}

TEST_P(DatapathContract, HaStatesStartNotDefinedAndAreSetPerInstance) {
  for (uint32_t instance : {0u, uint32_t{XLB_HA_MAX_INSTANCES - 1}}) {
    auto fresh = dp().ha_state(instance);
    ASSERT_DP_OK(fresh);
    EXPECT_EQ(*fresh, XLB_HA_NOT_DEFINED) << "instance " << instance;
  }
  for (xlb_ha_state state : {XLB_HA_MASTER, XLB_HA_BACKUP, XLB_HA_FAULT, XLB_HA_NOT_DEFINED}) {
    EXPECT_DP_OK(dp().set_ha_state(XLB_HA_DEFAULT_INSTANCE, state));
    auto read = dp().ha_state(XLB_HA_DEFAULT_INSTANCE);
    ASSERT_DP_OK(read);
    EXPECT_EQ(*read, state);
  }
  EXPECT_DP_OK(dp().set_ha_state(1, XLB_HA_BACKUP));
  auto other = dp().ha_state(XLB_HA_DEFAULT_INSTANCE);
  ASSERT_DP_OK(other);
  EXPECT_EQ(*other, XLB_HA_NOT_DEFINED) << "instances are independent";
}

TEST_P(DatapathContract, HaInstancesOutOfRangeAreRefused) {
  EXPECT_FALSE(dp().set_ha_state(XLB_HA_MAX_INSTANCES, XLB_HA_MASTER).ok());
  EXPECT_FALSE(dp().ha_state(XLB_HA_MAX_INSTANCES).ok());
  auto kept = dp().ha_state(0);
  ASSERT_DP_OK(kept);
  EXPECT_EQ(*kept, XLB_HA_NOT_DEFINED) << "a refused call writes nothing";
}

TEST_P(DatapathContract, AttachAndDetachTrackTheInterfaces) {
  const std::string ifname = subject().existing_interface();
  EXPECT_TRUE(dp().attached().empty());
  EXPECT_DP_OK(dp().attach(ifname));
  EXPECT_DP_OK(dp().attach(ifname));  // again: replaced in place, listed once
  EXPECT_EQ(dp().attached(), std::vector<std::string>{ifname});
  EXPECT_DP_OK(dp().detach(ifname));
  EXPECT_TRUE(dp().attached().empty());
  EXPECT_DP_OK(dp().detach(ifname));  // not attached: the state asked for holds
}

TEST_P(DatapathContract, AttachingToAMissingInterfaceFails) {
  EXPECT_FALSE(dp().attach("xlbnosuch0").ok());
  EXPECT_TRUE(dp().attached().empty());
  EXPECT_DP_OK(dp().detach("xlbnosuch0"));  // gone, and its filter with it
}

}  // namespace xlbtest
