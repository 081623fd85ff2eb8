// xlb-decap: run on an L3-DSR backend. `xlb-decap attach eth0` strips the IPIP (IPv4) or
// IPv6-in-IPv6 header that xlb's DSR mode adds to packets for this host, so the inner packet
// reaches the VIP on lo.
#include <CLI/CLI.hpp>
#include <iostream>

#include "clidoc/request.h"
#include "datapath/decap_loader.h"

namespace {

int fail(const xlb::Error& error) {
  std::cerr << "xlb-decap: " << error.message << "\n";
  return 1;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"xlb-decap: IPIP decapsulation for xlb L3-DSR backends (TC ingress program)",
               "xlb-decap"};
  app.require_subcommand(1);
  std::string ifname;
  std::vector<std::string> addresses;
  auto* attach = app.add_subcommand("attach", "attach to an interface (stays after exit)");
  attach->add_option("ifname", ifname, "interface that receives the tunnelled traffic")->required();
  attach->add_option("--address", addresses,
                     "outer destination to accept, repeatable (default: every IPv4 and IPv6 "
                     "address on this host now; attach again after the host's addresses change)");
  auto* detach = app.add_subcommand("detach", "remove from an interface");
  detach->add_option("ifname", ifname, "interface to detach from")->required();
  if (auto documented = xlb::clidoc::answer_clidoc_request(app, argc, argv)) return *documented;
  CLI11_PARSE(app, argc, argv);

  if (detach->parsed()) {
    if (auto done = xlb::detach_decap(ifname); !done) return fail(done.error());
    std::cout << "detached from " << ifname << "\n";
    return 0;
  }
  if (addresses.empty()) {
    auto host = xlb::host_ip_addresses();
    if (!host) return fail(host.error());
    addresses = std::move(*host);
  }
  if (auto done = xlb::attach_decap(ifname, addresses); !done) return fail(done.error());
  std::cout << "attached to " << ifname << ", decapsulating IPIP and IPv6-in-IPv6 for "
            << joined(addresses) << "\n";
  return 0;
}
