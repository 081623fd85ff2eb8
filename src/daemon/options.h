// xlbd's command line (CLI11).
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "daemon/options_l7.h"
#include "datapath/attach_hook.h"

extern "C" {
#include "xlb/abi/xlb.h"
}

namespace xlb::daemon {

struct DaemonOptions {
  std::vector<std::string> interfaces;  // empty: every non-loopback interface, also later ones
  std::string api_host = "127.0.0.1";
  int api_port = 11111;
  // File holding the API bearer token (read at start-up); required unless api_host is loopback.
  std::string api_token_file;
  std::string state_dir = "/var/lib/xlb";
  std::string bpffs = "/sys/fs/bpf/xlb";
  uint32_t ct_size = XLB_DEFAULT_CT_SIZE;
  uint32_t ct_syn_size = 0;       // embryonic-flow map; 0: ct_size / 4, at least 1024
  unsigned ct_gc_interval_s = 5;  // seconds between conntrack aging passes
  bool ct_expiry_rst = false;     // reset both ends of established TCP flows that expire
  uint32_t max_services = XLB_DEFAULT_MAX_SERVICES;
  // The packet path's hook on each interface (docs/modes.md#attach-hooks-tc-xdp-auto).
  AttachRequest attach = AttachRequest::tc;
  // How the TC program is attached: tcx where the kernel has it (auto), tcx, or clsact.
  TcLinkRequest tc_attach = TcLinkRequest::automatic;
  std::string log_level = "info";
  std::string log_format = "text";  // "text" | "json" (one object per line)
  bool cleanup = false;
  // HA pair (loxilb's flag names): the peers' addresses, this node's number, the peer channel's
  // port and the shared key it authenticates with (required with --cluster).
  std::vector<std::string> cluster;
  uint32_t self = 0;
  int cluster_port = 22222;
  std::string cluster_key_file;
  L7Options l7;  // --l7-*: the fullproxy engine (xlb-proxy)
  // Shared configuration (docs/cluster-config.md). Empty store: the file store in state_dir.
  std::string store;                                // "etcd://host:port,..."
  std::string store_prefix = "/xlb";                // keys under <prefix>/v1/
  std::string node_name;                            // default: the host name
  std::string store_cacert, store_cert, store_key;  // TLS to etcd
  std::string store_user, store_password_file;      // etcd authentication
  unsigned store_lease_ttl_s = 5;                   // membership lease
  bool store_import = false;  // one-shot import of the file store into an empty prefix
  // Scale-out (loxilb's flag): run and supervise gobgpd and announce the VIPs over BGP; or use
  // the gobgpd an operator runs, at bgp_api_host:bgp_api_port.
  bool bgp = false;
  std::string bgp_api_host;  // set: --bgp-api
  int bgp_api_port = 50051;  // the API port of xlbd's own gobgpd too (127.0.0.1 only)
  bool bgp_keep_on_exit = false;
};

// The options, or the exit code when there is nothing to run (--help: 0, a parse error: 1,
// with the message already printed).
std::variant<DaemonOptions, int> parse_options(int argc, char** argv);

}  // namespace xlb::daemon
