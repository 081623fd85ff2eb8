#include "datapath/bpf_datapath.h"

#include <bpf/libbpf.h>
#include <net/if.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <mutex>
#include <type_traits>

#include "datapath/bpffs.h"
#include "datapath/datapath_limits.h"
#include "datapath/map.h"
#include "datapath/netdev.h"
#include "datapath/tc_attach.h"
#include "datapath/tcx_link.h"
#include "datapath/xdp_attach.h"
#include "xlb_tc.skel.h"
#include "xlb_xdp.skel.h"

namespace xlb {
namespace {

// libbpf explains failures only through its print callback; keep the last lines for errors.
std::mutex g_libbpf_log_mutex;
std::string g_libbpf_log;

int libbpf_print(enum libbpf_print_level level, const char* fmt, va_list args) {
  char line[1024];
  vsnprintf(line, sizeof line, fmt, args);
  std::string text(line);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  if (level == LIBBPF_WARN) {
    std::lock_guard lock(g_libbpf_log_mutex);
    g_libbpf_log += text + "\n";
    if (g_libbpf_log.size() > 16384) g_libbpf_log.erase(0, g_libbpf_log.size() - 16384);
  }
  spdlog::debug("libbpf: {}", text);
  return 0;
}

std::string take_libbpf_log() {
  std::lock_guard lock(g_libbpf_log_mutex);
  return std::exchange(g_libbpf_log, {});
}

Error load_error(int err, const BpfDatapathOptions& o) {
  std::string log = take_libbpf_log();
  if (log.find("couldn't reuse pinned map") != std::string::npos)
    return Error{ErrorCode::datapath,
                 "the maps pinned in " + o.pin_dir +
                     " do not match this datapath (different --ct-size, --ct-syn-size or "
                     "--max-services, or another xlb version): start with the same sizes, or "
                     "remove them with "
                     "xlbd --cleanup --bpffs=" +
                     o.pin_dir,
                 "bpffs"};
  // The verifier also answers EACCES; its log says "BEGIN PROG LOAD LOG".
  if (err != EPERM && log.find("PROG LOAD LOG") != std::string::npos)
    return Error{ErrorCode::datapath,
                 "the kernel's verifier rejected the xlb datapath program (needs Linux >= 5.17 "
                 "with BTF); run xlbd --log-level=debug for the verifier log",
                 ""};
  if (err == EPERM || err == EACCES)
    return Error{ErrorCode::permission,
                 "no permission to load BPF programs: run xlbd as root or with CAP_BPF, "
                 "CAP_NET_ADMIN and CAP_PERFMON",
                 ""};
  return Error{ErrorCode::datapath,
               std::string("cannot load the BPF datapath: ") + std::strerror(err) +
                   (log.empty() ? "" : " (libbpf: " + log.substr(0, 300) + ")"),
               ""};
}

// The per-CPU values are structs of __u64 counters only (xlb_counter, xlb_dsr_counter):
// summed field by field.
template <class V>
V sum_per_cpu(const std::vector<V>& values) {
  static_assert(sizeof(V) % sizeof(uint64_t) == 0 && std::is_trivially_copyable_v<V>);
  std::array<uint64_t, sizeof(V) / sizeof(uint64_t)> total{}, fields{};
  for (const V& v : values) {
    std::memcpy(fields.data(), &v, sizeof v);
    for (size_t i = 0; i < total.size(); ++i) total[i] += fields[i];
  }
  V out;
  std::memcpy(&out, total.data(), sizeof out);
  return out;
}

}  // namespace

uint32_t ct_syn_size_for(const BpfDatapathOptions& options) {
  if (options.ct_syn_size != 0) return options.ct_syn_size;
  return std::max<uint32_t>(options.ct_size / XLB_CT_SYN_DEFAULT_DIVISOR, XLB_CT_SYN_MIN_SIZE);
}

BpfDatapath::BpfDatapath(BpfDatapathOptions options) : options_(std::move(options)) {}

BpfDatapath::~BpfDatapath() {
  // The filters and pinned tcx links stay attached and the maps pinned: traffic keeps flowing
  // while xlbd restarts. (A tcx link without a pin dir ends with its fd.)
  for (const auto& [ifname, fd] : tcx_links_) close(fd);
  ring_buffer__free(flow_events_);
  xlb_xdp__destroy(xdp_skel_);
  xlb_tc__destroy(skel_);
}

Result<std::unique_ptr<BpfDatapath>> BpfDatapath::open(const BpfDatapathOptions& options) {
  libbpf_set_print(libbpf_print);
  if (options.ct_size < 1024) return invalid("ct-size", "--ct-size must be at least 1024 flows");
  if (options.ct_syn_size != 0 &&
      (options.ct_syn_size < XLB_CT_SYN_MIN_SIZE || options.ct_syn_size > options.ct_size))
    return invalid("ct-syn-size", "--ct-syn-size must be from 1024 to --ct-size (" +
                                      std::to_string(options.ct_size) +
                                      ") entries, or 0 for a quarter of it");
  if (options.max_services < 1 || options.max_services > (1u << 20))
    return invalid("max-services", "--max-services must be from 1 to 1048576");
  if (!options.pin_dir.empty()) {
    auto r = ensure_bpffs_dir(options.pin_dir);
    if (!r) return r.error();
  }

  std::unique_ptr<BpfDatapath> dp(new BpfDatapath(options));
  LIBBPF_OPTS(bpf_object_open_opts, open_opts);
  if (!options.pin_dir.empty()) open_opts.pin_root_path = dp->options_.pin_dir.c_str();
  dp->skel_ = xlb_tc__open_opts(&open_opts);
  if (!dp->skel_) return load_error(errno, options);
  if (options.pin_dir.empty()) {
    // Without a root path libbpf would pin LIBBPF_PIN_BY_NAME maps under /sys/fs/bpf.
    bpf_map* map;
    bpf_object__for_each_map(map, dp->skel_->obj) bpf_map__set_pin_path(map, nullptr);
  }

  auto* maps = &dp->skel_->maps;
  bpf_map__set_max_entries(maps->XLB_MAP_CT_ID, options.ct_size);
  bpf_map__set_max_entries(maps->XLB_MAP_CT_SYN_ID, ct_syn_size_for(options));
  bpf_map__set_max_entries(maps->XLB_MAP_SVC_ID, options.max_services);
  bpf_map__set_max_entries(maps->XLB_MAP_VIP_ID, options.max_services);
  bpf_map__set_max_entries(maps->XLB_MAP_RR_ID, options.max_services);
  bpf_map__set_max_entries(maps->XLB_MAP_SVC_STATS_ID, options.max_services);
  bpf_map__set_max_entries(maps->XLB_MAP_EP_STATS_ID, options.max_services * XLB_MAX_ENDPOINTS);
  bpf_map__set_max_entries(maps->XLB_MAP_EP_CONNS_ID, options.max_services * XLB_MAX_ENDPOINTS);
  bpf_map__set_max_entries(maps->XLB_MAP_EP_DSR_ID, options.max_services * XLB_MAX_ENDPOINTS);
  bpf_map__set_max_entries(maps->XLB_MAP_MAGLEV_ID, options.max_services * XLB_MAGLEV_GENERATIONS);
  bpf_map__set_max_entries(maps->XLB_MAP_PERSIST_ID, options.ct_size);
  // The route cache's tables hold one CPU's part as compiled (bpf/lib/route_cache.h): one part
  // per possible CPU.
  const int cpus = libbpf_num_possible_cpus();
  if (cpus < 1) return load_error(-cpus, options);
  for (bpf_map* per_cpu_parts : {maps->xlb_route_cache, maps->xlb_route_answers})
    bpf_map__set_max_entries(per_cpu_parts,
                             bpf_map__max_entries(per_cpu_parts) * static_cast<uint32_t>(cpus));
  // A pre-filter created beside conntrack pinned by an older xlbd knows none of its flows:
  // it lets every packet through to the full path until the maps are next created afresh.
  const bool filter_behind_flows = !options.pin_dir.empty() &&
                                   pinned(options.pin_dir, XLB_MAP_CT) &&
                                   !pinned(options.pin_dir, XLB_MAP_ADDR_FILTER);
  if (int rc = xlb_tc__load(dp->skel_); rc != 0) return load_error(-rc, options);
  if (!options.pin_dir.empty()) remove_retired_pins(options.pin_dir, XLB_RETIRED_MAPS);
  auto filter = AddrFilterMapping::map(bpf_map__fd(maps->XLB_MAP_ADDR_FILTER_ID));
  if (!filter) return filter.error();
  dp->addr_filter_.emplace(std::move(*filter));
  if (filter_behind_flows) dp->addr_filter_->mark_all();
  if (options.attach != AttachRequest::tc) XLB_TRY(dp->load_xdp());
  return dp;
}

// One set of maps: every map of xlb_xdp is xlb_tc's of the same name (conntrack, rules,
// counters, the flow-event ring, the per-CPU scratch and route cache), and its .data (xlb_node,
// written through xlb_tc's skeleton) is xlb_tc's .data. The TC object alone pins them.
Result<void> BpfDatapath::load_xdp() {
  xdp_skel_ = xlb_xdp__open();
  if (!xdp_skel_) return load_error(errno, options_);
  bpf_map* map;
  bpf_object__for_each_map(map, xdp_skel_->obj) {
    bpf_map__set_pin_path(map, nullptr);
    const bpf_map* shared = map == xdp_skel_->maps.data ? skel_->maps.data
                            : bpf_map__is_internal(map)
                                ? nullptr
                                : bpf_object__find_map_by_name(skel_->obj, bpf_map__name(map));
    if (!shared)
      return Error{ErrorCode::internal,
                   std::string("the XDP program's map ") + bpf_map__name(map) +
                       " has no TC counterpart to share",
                   ""};
    if (bpf_map__value_size(map) != bpf_map__value_size(shared) ||
        bpf_map__key_size(map) != bpf_map__key_size(shared))
      return Error{ErrorCode::internal,
                   std::string("the XDP and TC programs disagree on map ") + bpf_map__name(map),
                   ""};
    if (int rc = bpf_map__reuse_fd(map, bpf_map__fd(shared)); rc != 0)
      return load_error(-rc, options_);
  }
  if (int rc = xlb_xdp__load(xdp_skel_); rc != 0) return load_error(-rc, options_);
  return Ok{};
}

Result<void> BpfDatapath::cleanup(const std::string& pin_dir,
                                  const std::vector<std::string>& ifnames) {
  // Detaching from an interface without clsact is normal here: keep libbpf's complaint
  // about it out of the operator's terminal (it still reaches the debug log).
  libbpf_set_print(libbpf_print);
  std::vector<std::pair<int, std::string>> targets;
  if (ifnames.empty()) {
    if (struct if_nameindex* all = if_nameindex()) {
      for (auto* i = all; i->if_index != 0; ++i) targets.emplace_back(i->if_index, i->if_name);
      if_freenameindex(all);
    }
  } else {
    for (const auto& name : ifnames)
      if (int idx = static_cast<int>(if_nametoindex(name.c_str()))) targets.emplace_back(idx, name);
  }
  for (const auto& [idx, name] : targets) {
    XLB_TRY(xdp_detach_own(idx, name));
    XLB_TRY(tcx_detach(-1, tcx_pin_path(pin_dir, name), name));
    XLB_TRY(tc_detach_ingress(idx, name, kTcHandleLb));
  }
  return pin_dir.empty() ? Result<void>(Ok{}) : remove_pins(pin_dir);
}

int BpfDatapath::program_fd() const { return bpf_program__fd(skel_->progs.xlb_ingress); }

int BpfDatapath::xdp_program_fd() const {
  return xdp_skel_ ? bpf_program__fd(xdp_skel_->progs.xlb_xdp_ingress) : -1;
}

int BpfDatapath::rule_map_fd() const { return bpf_map__fd(skel_->maps.XLB_MAP_SVC_ID); }

namespace {
Map<xlb_svc_key, xlb_svc> svc_map(xlb_tc* s) {
  return {bpf_map__fd(s->maps.XLB_MAP_SVC_ID), XLB_MAP_SVC};
}
Map<xlb_ip, xlb_vip_info> vip_map(xlb_tc* s) {
  return {bpf_map__fd(s->maps.XLB_MAP_VIP_ID), XLB_MAP_VIP};
}
Map<xlb_ct_key, xlb_ct_entry> ct_map(xlb_tc* s) {
  return {bpf_map__fd(s->maps.XLB_MAP_CT_ID), XLB_MAP_CT};
}
Map<xlb_ct_key, xlb_ct_entry> ct_syn_map(xlb_tc* s) {
  return {bpf_map__fd(s->maps.XLB_MAP_CT_SYN_ID), XLB_MAP_CT_SYN};
}
}  // namespace

Result<void> BpfDatapath::upsert_service(const xlb_svc_key& key, const xlb_svc& svc) {
  XLB_TRY(check_rule_id(svc.id, options_.max_services));
  return svc_map(skel_).update(key, svc);
}

Result<void> BpfDatapath::delete_service(const xlb_svc_key& key) {
  return svc_map(skel_).erase(key);
}

Result<std::vector<std::pair<xlb_svc_key, xlb_svc>>> BpfDatapath::list_services() const {
  std::vector<std::pair<xlb_svc_key, xlb_svc>> out;
  auto r = svc_map(skel_).for_each(
      [&](const xlb_svc_key& k, const xlb_svc& v) {
        out.emplace_back(k, v);
        return true;
      },
      256);
  if (!r) return r.error();
  return out;
}

Result<void> BpfDatapath::upsert_vip(const xlb_ip& vip, const xlb_vip_info& info) {
  addr_filter_->mark(vip);  // before the VIP exists: none of its packets may skip the rules
  return vip_map(skel_).update(vip, info);
}

Result<void> BpfDatapath::delete_vip(const xlb_ip& vip) { return vip_map(skel_).erase(vip); }

namespace {
// A per-CPU array's value at `key`, summed over the CPUs.
template <class V>
Result<V> per_cpu_total(const bpf_map* map, const char* name, uint32_t key) {
  PerCpuMap<uint32_t, V> m(bpf_map__fd(map), name);
  auto values = m.lookup(key);
  if (!values) return values.error();
  return sum_per_cpu(*values);
}
}  // namespace

Result<xlb_counter> BpfDatapath::service_counter(uint32_t svc_id) const {
  XLB_TRY(check_rule_id(svc_id, options_.max_services));
  return per_cpu_total<xlb_counter>(skel_->maps.XLB_MAP_SVC_STATS_ID, XLB_MAP_SVC_STATS, svc_id);
}

Result<xlb_counter> BpfDatapath::endpoint_counter(uint32_t svc_id, uint32_t ep_idx) const {
  XLB_TRY(check_endpoint_slot(svc_id, ep_idx, options_.max_services));
  return per_cpu_total<xlb_counter>(skel_->maps.XLB_MAP_EP_STATS_ID, XLB_MAP_EP_STATS,
                                    xlb_ep_slot(svc_id, ep_idx));
}

Result<xlb_dsr_counter> BpfDatapath::dsr_counter(uint32_t svc_id, uint32_t ep_idx) const {
  XLB_TRY(check_endpoint_slot(svc_id, ep_idx, options_.max_services));
  return per_cpu_total<xlb_dsr_counter>(skel_->maps.XLB_MAP_EP_DSR_ID, XLB_MAP_EP_DSR,
                                        xlb_ep_slot(svc_id, ep_idx));
}

Result<std::vector<uint64_t>> BpfDatapath::datapath_counters() const {
  PerCpuMap<uint32_t, uint64_t> m(bpf_map__fd(skel_->maps.XLB_MAP_DP_STATS_ID), XLB_MAP_DP_STATS);
  std::vector<uint64_t> totals(XLB_STAT_MAX, 0);
  for (uint32_t reason = 0; reason < XLB_STAT_MAX; ++reason) {
    auto values = m.lookup(reason);
    if (!values) return values.error();
    for (uint64_t v : *values) totals[reason] += v;
  }
  return totals;
}

Result<void> BpfDatapath::reset_service_counters(uint32_t svc_id) {
  XLB_TRY(check_rule_id(svc_id, options_.max_services));
  PerCpuMap<uint32_t, xlb_counter> svc(bpf_map__fd(skel_->maps.XLB_MAP_SVC_STATS_ID),
                                       XLB_MAP_SVC_STATS);
  PerCpuMap<uint32_t, xlb_counter> ep(bpf_map__fd(skel_->maps.XLB_MAP_EP_STATS_ID),
                                      XLB_MAP_EP_STATS);
  PerCpuMap<uint32_t, xlb_dsr_counter> dsr(bpf_map__fd(skel_->maps.XLB_MAP_EP_DSR_ID),
                                           XLB_MAP_EP_DSR);
  if (auto r = svc.zero(svc_id); !r) return r;
  for (uint32_t i = 0; i < XLB_MAX_ENDPOINTS; ++i) {
    if (auto r = ep.zero(xlb_ep_slot(svc_id, i)); !r) return r;
    if (auto r = dsr.zero(xlb_ep_slot(svc_id, i)); !r) return r;
  }
  for (uint32_t i = 0; i < XLB_MAX_ENDPOINTS; ++i)
    if (auto r = set_active_flows(svc_id, i, 0); !r) return r;
  Map<uint32_t, uint32_t> rr(bpf_map__fd(skel_->maps.XLB_MAP_RR_ID), XLB_MAP_RR);
  return rr.update(svc_id, 0);
}

Result<void> BpfDatapath::for_each_flow(const std::function<bool(const CtFlow&)>& fn) const {
  bool stopped = false;
  auto visit = [&](bool syn_map) {
    return [&, syn_map](const xlb_ct_key& k, const xlb_ct_entry& e) {
      stopped = !fn(CtFlow{k, e, syn_map});
      return !stopped;
    };
  };
  XLB_TRY(ct_map(skel_).for_each(visit(false)));
  if (stopped) return Ok{};
  return ct_syn_map(skel_).for_each(visit(true));
}

// Main map first, as the datapath looks: during a promotion both may briefly hold a flow.
Result<std::optional<xlb_ct_entry>> BpfDatapath::lookup_flow(const xlb_ct_key& key) const {
  auto main = ct_map(skel_).lookup(key);
  if (!main || *main) return main;
  return ct_syn_map(skel_).lookup(key);
}

Result<void> BpfDatapath::delete_flow(const xlb_ct_key& key) {
  XLB_TRY(ct_map(skel_).erase(key));
  return ct_syn_map(skel_).erase(key);
}

Result<void> BpfDatapath::set_maglev_table(uint32_t svc_id, uint8_t generation,
                                           const std::vector<uint32_t>& table) {
  XLB_TRY(check_rule_id(svc_id, options_.max_services));
  XLB_TRY(check_maglev_generation(generation));
  XLB_TRY(check_maglev_table_size(table.size()));
  int outer = bpf_map__fd(skel_->maps.XLB_MAP_MAGLEV_ID);
  const uint32_t key = xlb_maglev_key(svc_id, generation);

  // Same size as the installed table: rewrite only the entries that changed, in place.
  uint32_t inner_id = 0;
  if (bpf_map_lookup_elem(outer, &key, &inner_id) == 0) {
    int inner = bpf_map_get_fd_by_id(inner_id);
    bpf_map_info info{};
    uint32_t len = sizeof info;
    if (inner >= 0 && bpf_obj_get_info_by_fd(inner, &info, &len) == 0 &&
        info.max_entries == table.size()) {
      Map<uint32_t, uint32_t> m(inner, XLB_MAP_MAGLEV);
      Result<void> r = Ok{};
      for (uint32_t i = 0; i < table.size() && r.ok(); ++i) {
        auto cur = m.lookup(i);
        if (!cur)
          r = cur.error();
        else if (!*cur || **cur != table[i])
          r = m.update(i, table[i]);
      }
      close(inner);
      return r;
    }
    if (inner >= 0) close(inner);
  }

  // New or resized: build a fresh inner map, then swap it in atomically.
  LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_INNER_MAP);
  int inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, "xlb_maglev_tbl", sizeof(uint32_t),
                             sizeof(uint32_t), table.size(), &opts);
  if (inner < 0) return map_error("create", XLB_MAP_MAGLEV, errno);
  Map<uint32_t, uint32_t> m(inner, XLB_MAP_MAGLEV);
  for (uint32_t i = 0; i < table.size(); ++i) {
    if (auto r = m.update(i, table[i]); !r) {
      close(inner);
      return r;
    }
  }
  int rc = bpf_map_update_elem(outer, &key, &inner, BPF_ANY);
  int err = errno;
  close(inner);  // the outer map holds its own reference
  if (rc != 0) return map_error("update", XLB_MAP_MAGLEV, err);
  return Ok{};
}

Result<void> BpfDatapath::clear_maglev_table(uint32_t svc_id) {
  XLB_TRY(check_rule_id(svc_id, options_.max_services));
  int outer = bpf_map__fd(skel_->maps.XLB_MAP_MAGLEV_ID);
  for (uint32_t gen = 0; gen < XLB_MAGLEV_GENERATIONS; ++gen) {
    const uint32_t key = xlb_maglev_key(svc_id, gen);
    if (bpf_map_delete_elem(outer, &key) != 0 && errno != ENOENT)
      return map_error("delete", XLB_MAP_MAGLEV, errno);
  }
  return Ok{};
}

Result<uint32_t> BpfDatapath::active_flows(uint32_t svc_id, uint32_t ep_idx) const {
  XLB_TRY(check_endpoint_slot(svc_id, ep_idx, options_.max_services));
  Map<uint32_t, uint32_t> m(bpf_map__fd(skel_->maps.XLB_MAP_EP_CONNS_ID), XLB_MAP_EP_CONNS);
  auto v = m.lookup(xlb_ep_slot(svc_id, ep_idx));
  if (!v) return v.error();
  return v->value_or(0);
}

Result<void> BpfDatapath::set_active_flows(uint32_t svc_id, uint32_t ep_idx, uint32_t count) {
  XLB_TRY(check_endpoint_slot(svc_id, ep_idx, options_.max_services));
  Map<uint32_t, uint32_t> m(bpf_map__fd(skel_->maps.XLB_MAP_EP_CONNS_ID), XLB_MAP_EP_CONNS);
  return m.update(xlb_ep_slot(svc_id, ep_idx), count);
}

Result<void> BpfDatapath::set_ha_state(uint32_t instance, xlb_ha_state state) {
  XLB_TRY(check_ha_instance(instance));
  Map<uint32_t, xlb_ha> m(bpf_map__fd(skel_->maps.XLB_MAP_HA_ID), XLB_MAP_HA);
  xlb_ha value{};
  value.state = state;
  return m.update(instance, value);
}

Result<xlb_ha_state> BpfDatapath::ha_state(uint32_t instance) const {
  XLB_TRY(check_ha_instance(instance));
  Map<uint32_t, xlb_ha> m(bpf_map__fd(skel_->maps.XLB_MAP_HA_ID), XLB_MAP_HA);
  auto v = m.lookup(instance);
  if (!v) return v.error();
  const uint32_t state = *v ? (*v)->state : uint32_t{XLB_HA_NOT_DEFINED};
  XLB_TRY(check_ha_state(state));
  return static_cast<xlb_ha_state>(state);
}

Result<void> BpfDatapath::register_interface(int ifindex, const uint8_t mac[6]) {
  xlb_iface iface{};
  std::memcpy(iface.mac, mac, sizeof iface.mac);
  Map<uint32_t, xlb_iface> m(bpf_map__fd(skel_->maps.XLB_MAP_IFACE_ID), XLB_MAP_IFACE);
  return m.update(static_cast<uint32_t>(ifindex), iface);
}

Result<void> BpfDatapath::attach(const std::string& ifname) {
  auto dev = lookup_netdev(ifname);
  if (!dev) return dev.error();
  if (auto r = register_interface(dev->ifindex, dev->mac.data()); !r) return r;

  // TC first: what XDP passes must find it there.
  const bool tc_was_attached = attached_.contains(ifname);
  auto tc_link = attach_tc(dev->ifindex, ifname);
  if (!tc_link) return tc_link.error();
  auto hook = attach_xdp(dev->ifindex, ifname);
  if (!hook) {
    if (!tc_was_attached) (void)detach_tc(dev->ifindex, ifname);
    return hook.error();
  }
  attached_[ifname] = {ifname, *hook, *tc_link};
  spdlog::info("datapath attached to {} (ifindex {}, {}, TC program on {})", ifname, dev->ifindex,
               attach_hook_name(*hook), tc_link_name(*tc_link));
  return Ok{};
}

Result<TcLink> BpfDatapath::attach_tc(int ifindex, const std::string& ifname) {
  const std::string pin = tcx_pin_path(options_.pin_dir, ifname);
  if (options_.tc_link != TcLinkRequest::clsact) {
    auto held = tcx_links_.find(ifname);
    const int held_fd = held == tcx_links_.end() ? -1 : held->second;
    int link_fd = held_fd;
    auto outcome = tcx_attach_ingress(ifindex, ifname, program_fd(), pin, &link_fd);
    if (!outcome) return outcome.error();
    if (*outcome == TcxAttachOutcome::attached) {
      if (held_fd >= 0 && held_fd != link_fd) close(held_fd);  // a defunct link, replaced
      tcx_links_[ifname] = link_fd;
      // A clsact filter of an older xlb (or of --tc-attach=clsact) would run after the link
      // for what it passes on: remove it now that the link carries the path.
      XLB_TRY(tc_detach_ingress(ifindex, ifname, kTcHandleLb));
      return TcLink::tcx;
    }
    if (options_.tc_link == TcLinkRequest::tcx)
      return invalid("tc-attach", "the kernel refused a tcx link on " + ifname +
                                      " (tcx needs Linux >= 6.6), which --tc-attach=tcx "
                                      "requires: use --tc-attach=auto or --tc-attach=clsact");
    spdlog::info("{}: the kernel has no tcx, attaching with clsact (--tc-attach=auto)", ifname);
  }
  // Fixed handle: a restarted daemon replaces its own filter in place, with no gap. Then the
  // tcx link of an earlier xlbd goes: it would run in front of the filter.
  XLB_TRY(tc_attach_ingress(ifindex, ifname, program_fd(), kTcHandleLb));
  XLB_TRY(drop_tcx_link(ifname));
  return TcLink::clsact;
}

Result<void> BpfDatapath::drop_tcx_link(const std::string& ifname) {
  int fd = -1;
  if (auto held = tcx_links_.find(ifname); held != tcx_links_.end()) {
    fd = held->second;
    tcx_links_.erase(held);
  }
  auto detached = tcx_detach(fd, tcx_pin_path(options_.pin_dir, ifname), ifname);
  if (fd >= 0) close(fd);
  return detached;
}

Result<void> BpfDatapath::detach_tc(int ifindex, const std::string& ifname) {
  XLB_TRY(drop_tcx_link(ifname));
  return tc_detach_ingress(ifindex, ifname, kTcHandleLb);
}

Result<AttachHook> BpfDatapath::attach_xdp(int ifindex, const std::string& ifname) {
  // tc: an XDP program a previous xlbd (--attach=xdp) left must not keep running.
  if (options_.attach == AttachRequest::tc) {
    XLB_TRY(xdp_detach_own(ifindex, ifname));
    return AttachHook::tc;
  }
  auto outcome = xdp_attach_native(ifindex, ifname, xdp_program_fd());
  if (!outcome) return outcome.error();
  if (*outcome == XdpAttachOutcome::attached) return AttachHook::xdp;
  if (options_.attach == AttachRequest::xdp)
    return invalid("attach", ifname +
                                 "'s driver has no native XDP, which --attach=xdp requires: use "
                                 "--attach=auto (XDP where possible, else tc) or --attach=tc");
  spdlog::info("{}: the driver has no native XDP, attaching with tc (--attach=auto)", ifname);
  return AttachHook::tc;
}

Result<void> BpfDatapath::detach(const std::string& ifname) {
  int ifindex = static_cast<int>(if_nametoindex(ifname.c_str()));
  attached_.erase(ifname);
  // The interface gone: its filter went with it, and its tcx link is defunct (only the fd and
  // pin are left to drop).
  if (ifindex == 0) return drop_tcx_link(ifname);
  Map<uint32_t, xlb_iface> m(bpf_map__fd(skel_->maps.XLB_MAP_IFACE_ID), XLB_MAP_IFACE);
  if (auto r = m.erase(static_cast<uint32_t>(ifindex)); !r) return r;
  XLB_TRY(xdp_detach_own(ifindex, ifname));
  return detach_tc(ifindex, ifname);
}

std::vector<Attachment> BpfDatapath::attachments() const {
  std::vector<Attachment> out;
  for (const auto& [ifname, attachment] : attached_) out.push_back(attachment);
  return out;
}

}  // namespace xlb
