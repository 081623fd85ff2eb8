#include "daemon/options.h"

#include <CLI/CLI.hpp>
#include <charconv>
#include <cstdio>

#include "clidoc/request.h"
#include "common/ip.h"
#include "common/quote.h"
#include "daemon/store_options.h"

namespace xlb::daemon {
namespace {

// "<ipv4>:<port>" → host, port; empty error string when valid.
std::string split_api_address(const std::string& text, std::string* host, int* port,
                              const std::string& flag = "--api",
                              const std::string& example = "127.0.0.1:11111") {
  const std::string hint =
      flag + " must be <IPv4>:<port> such as " + example + ", got " + xlb::quoted(text);
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) return hint;
  const std::string h = text.substr(0, colon), p = text.substr(colon + 1);
  int number = 0;
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), number);
  if (!parse_ipv4(h) || ec != std::errc{} || end != p.data() + p.size() || number < 1 ||
      number > 65535) {
    return hint;
  }
  if (host) *host = h;
  if (port) *port = number;
  return "";
}

// 127.0.0.0/8: only processes on this host can connect.
bool is_loopback_ipv4(const std::string& host) {
  auto ip = parse_ipv4(host);
  return ip && host.rfind("127.", 0) == 0;
}

// The check of an option taking one word of `words` (attach_hook.h): "{a,b,c}" for the man page
// and the completion, and "<option> must be a, b or c, got ..." for anything else.
template <class E, size_t N>
CLI::Validator attach_words_check(const std::string& option, const AttachWord<E> (&words)[N]) {
  std::string listed, allowed;
  for (size_t i = 0; i < N; ++i) {
    listed += (i ? "," : "") + std::string(words[i].word);
    allowed += (i == 0 ? "" : i + 1 == N ? " or " : ", ") + std::string(words[i].word);
  }
  return CLI::Validator(
      [&words, option, allowed](std::string& v) {
        return parse_attach_word(words, v)
                   ? std::string()
                   : option + " must be " + allowed + ", got " + xlb::quoted(v);
      },
      "{" + listed + "}", option.substr(2));
}

}  // namespace

std::variant<DaemonOptions, int> parse_options(int argc, char** argv) {
  DaemonOptions o;
  std::string api = o.api_host + ":" + std::to_string(o.api_port);

  CLI::App app{"xlbd: the xlb load-balancer daemon (eBPF datapath + REST API)", "xlbd"};
  app.add_option("--interfaces", o.interfaces,
                 "Interfaces to manage (comma-separated); default: every non-loopback "
                 "interface, including ones that appear later")
      ->delimiter(',');
  app.add_option("--api", api, "REST API listen address <ip>:<port>")
      ->capture_default_str()
      ->check([](const std::string& v) { return split_api_address(v, nullptr, nullptr); });
  app.add_option("--state-dir", o.state_dir, "Directory holding the persistent configuration")
      ->capture_default_str();
  app.add_option("--bpffs", o.bpffs, "bpffs directory where the maps are pinned")
      ->capture_default_str();
  app.add_option("--ct-gc-interval", o.ct_gc_interval_s,
                 "Seconds between conntrack aging passes (idle flows are forgotten)")
      ->check(CLI::Range(1u, 3600u))
      ->capture_default_str();
  app.add_flag("--ct-expiry-rst", o.ct_expiry_rst,
               "When an idle established TCP flow (NAT, FullNAT) expires, send a TCP RST to "
               "the client and to the endpoint, so neither hangs on a dead connection");
  app.add_option("--ct-size", o.ct_size, "Conntrack capacity in entries")
      ->capture_default_str()
      ->check(CLI::Range(uint32_t{1024}, uint32_t{64u << 20}));
  app.add_option("--ct-syn-size", o.ct_syn_size,
                 "Entries of the separate conntrack map for TCP handshakes under way (a SYN "
                 "flood evicts only these); 0: a quarter of --ct-size, at least 1024")
      ->capture_default_str()
      ->check(CLI::Range(uint32_t{0}, uint32_t{64u << 20}));
  app.add_option("--max-services", o.max_services, "Maximum number of rules")
      ->capture_default_str()
      ->check(CLI::Range(uint32_t{1}, uint32_t{1u << 20}));
  std::string attach(attach_request_name(o.attach));
  app.add_option(
         "--attach", attach,
         "Where the packet path runs on each interface: tc (TC ingress, see --tc-attach), xdp "
         "(native XDP in the driver, TC behind it for what needs a socket buffer; "
         "refused on a driver without it) or auto (xdp where the driver has it, else tc)")
      ->capture_default_str()
      // Described as {tc,xdp,auto}: the man page and the completion list the values.
      ->check(attach_words_check("--attach", kAttachRequestWords));
  std::string tc_attach(tc_link_request_name(o.tc_attach));
  app.add_option("--tc-attach", tc_attach,
                 "How the TC ingress program is attached: tcx (a bpf_link, no qdisc; Linux >= "
                 "6.6), clsact (a cls_bpf filter on a clsact qdisc) or auto (tcx where the "
                 "kernel has it, else clsact)")
      ->capture_default_str()
      ->check(attach_words_check("--tc-attach", kTcLinkRequestWords));
  app.add_option("--log-level", o.log_level, "Log level")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}))
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);  // wrappers may append one
  app.add_option("--log-format", o.log_format,
                 "Log lines as text, or json (one object per line, event fields as members)")
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json"}));
  app.add_option("--api-token-file", o.api_token_file,
                 "File (mode 0600) with the bearer token every API request must carry; "
                 "required when --api is not a loopback address");
  app.add_option("--cluster", o.cluster,
                 "HA peers: the other node's address (comma-separated for more); they exchange "
                 "HA states over an authenticated channel on --cluster-port")
      ->delimiter(',')
      ->check([](const std::string& v) {
        return parse_ipv4(v)
                   ? std::string()
                   : "--cluster takes IPv4 addresses such as 10.0.9.2, got " + xlb::quoted(v);
      });
  app.add_option("--self", o.self, "This node's number in the cluster (0, 1, ...): unique per node")
      ->capture_default_str()
      ->check(CLI::Range(0u, 255u));
  app.add_option("--cluster-port", o.cluster_port,
                 "TCP port of the peer channel, the same on every node")
      ->capture_default_str()
      ->check(CLI::Range(1, 65535));
  app.add_option("--cluster-key-file", o.cluster_key_file,
                 "File (mode 0600) with the key every --cluster node shares; required with "
                 "--cluster: peers without it are refused");
  add_store_options(app, o);
  std::string bgp_api;
  app.add_flag("--bgp", o.bgp,
               "Scale-out: run and supervise gobgpd (state in <state-dir>/bgp, its API on "
               "127.0.0.1) and announce each VIP that can serve to the bgpneighbors");
  app.add_option("--bgp-api", bgp_api,
                 "Announce through the gobgpd you run, at <IPv4>:<port> (its gRPC API), "
                 "instead of xlbd's own")
      ->check([](const std::string& v) {
        return split_api_address(v, nullptr, nullptr, "--bgp-api", "127.0.0.1:50051");
      });
  app.add_option("--bgp-api-port", o.bgp_api_port,
                 "With --bgp: the port of xlbd's gobgpd's API on 127.0.0.1")
      ->capture_default_str()
      ->check(CLI::Range(1, 65535));
  app.add_flag("--bgp-keep-on-exit", o.bgp_keep_on_exit,
               "On a clean stop keep the routes announced (and xlbd's gobgpd running, adopted "
               "by the next xlbd): the datapath keeps forwarding while xlbd restarts");
  app.add_flag("--cleanup", o.cleanup,
               "Detach from every interface, remove the pinned maps, and exit");

  add_l7_options(app, o.l7);

  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return std::string("xlbd: ") + e.what() + " (see xlbd --help)\n";
  });

  if (auto documented = clidoc::answer_clidoc_request(app, argc, argv)) return *documented;
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  split_api_address(api, &o.api_host, &o.api_port);
  o.attach = *parse_attach_request(attach);
  o.tc_attach = *parse_tc_link_request(tc_attach);
  if (!bgp_api.empty()) {
    split_api_address(bgp_api, &o.bgp_api_host, &o.bgp_api_port);
    if (o.bgp) {
      std::fprintf(stderr,
                   "xlbd: --bgp runs xlbd's own gobgpd and --bgp-api uses yours: give one\n");
      return 1;
    }
  }
  if (auto ok = finish_l7_options(o.l7); !ok) {
    std::fprintf(stderr, "xlbd: %s\n", ok.error().message.c_str());
    return 1;
  }
  if (auto problem = check_store_options(o); !problem.empty()) {
    std::fprintf(stderr, "xlbd: %s\n", problem.c_str());
    return 1;
  }
  // Without a token anyone who can reach the API can rewrite the rules: only this host may.
  if (o.api_token_file.empty() && !o.cleanup && !is_loopback_ipv4(o.api_host)) {
    std::fprintf(stderr,
                 "xlbd: --api=%s listens beyond this host: pass --api-token-file=<file with a "
                 "token, mode 0600> or use a loopback address such as 127.0.0.1\n",
                 api.c_str());
    return 1;
  }
  // The peer channel carries state that decides who answers for the VIPs: never unauthenticated.
  if (!o.cluster.empty() && o.cluster_key_file.empty() && !o.cleanup) {
    std::fprintf(stderr,
                 "xlbd: --cluster needs --cluster-key-file=<file, mode 0600> holding a key of 16 "
                 "or more characters, the same on every node (e.g. head -c 32 /dev/urandom | "
                 "base64 > /etc/xlb/cluster.key)\n");
    return 1;
  }
  return o;
}

}  // namespace xlb::daemon
