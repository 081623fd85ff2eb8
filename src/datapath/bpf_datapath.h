// BpfDatapath: the real Datapath. Owns the xlb_tc skeleton (RAII), and with --attach=xdp|auto
// the xlb_xdp one, which shares xlb_tc's maps; pins maps by name under a bpffs directory so a
// restarted daemon re-adopts them; attaches at TC ingress (a tcx link, or a clsact filter),
// and native XDP in front of it.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "datapath/addr_filter.h"
#include "datapath/datapath.h"

struct xlb_tc;  // generated skeletons
struct xlb_xdp;
struct ring_buffer;  // libbpf's ring-buffer consumer

namespace xlb {

struct BpfDatapathOptions {
  // bpffs directory for pinned maps; mounted if needed. Empty: no pinning (tests).
  std::string pin_dir = "/sys/fs/bpf/xlb";
  uint32_t ct_size = XLB_DEFAULT_CT_SIZE;
  // Embryonic-flow (SYN) map entries; 0: ct_size / 4, at least 1024 (ct_syn_size_for).
  uint32_t ct_syn_size = 0;
  uint32_t max_services = XLB_DEFAULT_MAX_SERVICES;
  // The hook attach() uses (xlbd --attach): tc; xdp (native XDP required, refused per
  // interface without it); automatic (native XDP where the driver has it, else tc). With XDP
  // the TC program stays attached behind it, for what XDP passes. Only xdp and automatic load
  // the XDP program.
  AttachRequest attach = AttachRequest::tc;
  // How the TC program is attached (xlbd --tc-attach): tcx links where the kernel has them
  // (automatic), tcx required, or clsact filters. With a pin_dir the tcx links are pinned
  // there and outlive xlbd.
  TcLinkRequest tc_link = TcLinkRequest::automatic;
};

// The embryonic-flow map's size these options ask for (the default when ct_syn_size is 0).
uint32_t ct_syn_size_for(const BpfDatapathOptions& options);

class BpfDatapath final : public Datapath {
 public:
  // Loads the datapath, creating or re-adopting pinned maps. Errors are one sentence.
  static Result<std::unique_ptr<BpfDatapath>> open(const BpfDatapathOptions& options);
  // Detaches from every interface that carries xlb's filter or XDP program, removes the pins.
  static Result<void> cleanup(const std::string& pin_dir, const std::vector<std::string>& ifnames);
  ~BpfDatapath() override;

  Result<void> upsert_service(const xlb_svc_key& key, const xlb_svc& svc) override;
  Result<void> delete_service(const xlb_svc_key& key) override;
  Result<std::vector<std::pair<xlb_svc_key, xlb_svc>>> list_services() const override;
  Result<void> upsert_vip(const xlb_ip& vip, const xlb_vip_info& info) override;
  Result<void> delete_vip(const xlb_ip& vip) override;
  Result<xlb_counter> service_counter(uint32_t svc_id) const override;
  Result<xlb_counter> endpoint_counter(uint32_t svc_id, uint32_t ep_idx) const override;
  Result<xlb_dsr_counter> dsr_counter(uint32_t svc_id, uint32_t ep_idx) const override;
  Result<std::vector<uint64_t>> datapath_counters() const override;
  Result<void> reset_service_counters(uint32_t svc_id) override;
  Result<void> for_each_flow(const std::function<bool(const CtFlow&)>& fn) const override;
  Result<std::optional<xlb_ct_entry>> lookup_flow(const xlb_ct_key& key) const override;
  Result<void> delete_flow(const xlb_ct_key& key) override;
  Result<void> set_maglev_table(uint32_t svc_id, uint8_t generation,
                                const std::vector<uint32_t>& table) override;
  Result<void> clear_maglev_table(uint32_t svc_id) override;
  Result<uint32_t> active_flows(uint32_t svc_id, uint32_t ep_idx) const override;
  Result<void> set_active_flows(uint32_t svc_id, uint32_t ep_idx, uint32_t count) override;
  Result<void> set_ha_state(uint32_t instance, xlb_ha_state state) override;
  Result<xlb_ha_state> ha_state(uint32_t instance) const override;
  Result<void> attach(const std::string& ifname) override;
  Result<void> detach(const std::string& ifname) override;
  std::vector<Attachment> attachments() const override;
  Result<void> set_flow_events(bool on) override;
  Result<size_t> poll_flow_events(int timeout_ms,
                                  const std::function<void(const FlowEvent&)>& fn) override;
  Result<void> install_synced_flow(const xlb_ct_key& key, const xlb_ct_entry& orig) override;
  Result<void> remove_synced_flow(const xlb_ct_key& key) override;
  Result<void> set_snat_port_range(uint16_t lo, uint16_t hi) override;
  uint32_t max_services() const override { return options_.max_services; }
  uint32_t ct_capacity() const override { return options_.ct_size; }
  uint32_t ct_syn_capacity() const override { return ct_syn_size_for(options_); }

  // Registers an interface's MAC for ARP answers without attaching (tests).
  Result<void> register_interface(int ifindex, const uint8_t mac[6]);
  // The TC ingress program, for BPF_PROG_TEST_RUN.
  int program_fd() const;
  // The XDP program (sharing the TC program's maps); -1 unless opened for xdp or automatic.
  int xdp_program_fd() const;
  // The rule map, shared with xlb_steer (proxy_steering.h).
  int rule_map_fd() const;
  // Whether the pre-filter sends packets from or to `addr` down the full path (tests).
  bool addr_filter_has(const xlb_ip& addr) const { return addr_filter_->has(addr); }

 private:
  explicit BpfDatapath(BpfDatapathOptions options);
  // Conntrack sync (bpf_sync.cpp): an active-flow count moved by one, never below zero.
  Result<void> step_active_flows(const xlb_ct_entry& orig, int delta);
  static int on_flow_event(void* self, void* data, size_t size);

  BpfDatapathOptions options_;
  // Loads xlb_xdp over skel_'s maps (open(), for xdp and automatic).
  Result<void> load_xdp();
  // Attaches the XDP program in front of the TC one, as options_.attach asks; the hook used.
  Result<AttachHook> attach_xdp(int ifindex, const std::string& ifname);
  // Attaches the TC program as options_.tc_link asks, removing xlb's other kind of attachment
  // from the interface once this one is in place; the kind used.
  Result<TcLink> attach_tc(int ifindex, const std::string& ifname);
  // Removes xlb's TC program from the interface, whichever way it is attached.
  Result<void> detach_tc(int ifindex, const std::string& ifname);
  // Detaches xlb's tcx link on ifname (the one held, else the pinned one), closes it, removes
  // the pin.
  Result<void> drop_tcx_link(const std::string& ifname);

  xlb_tc* skel_ = nullptr;
  xlb_xdp* xdp_skel_ = nullptr;
  std::map<std::string, Attachment> attached_;
  // The tcx link of each interface attached that way (pinned too with a pin_dir).
  std::map<std::string, int> tcx_links_;
  ring_buffer* flow_events_ = nullptr;
  std::optional<AddrFilterMapping> addr_filter_;                          // set by open()
  const std::function<void(const FlowEvent&)>* flow_event_fn_ = nullptr;  // during a poll
  size_t flow_events_delivered_ = 0;
};

}  // namespace xlb
