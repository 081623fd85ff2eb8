// xlb-decap: run on an L3-DSR backend. `xlb-decap attach eth0` strips the IPIP header that
// xlb's DSR mode adds, so the inner packet reaches the VIP configured on lo.
#include <CLI/CLI.hpp>
#include <iostream>

#include "datapath/decap_loader.h"

int main(int argc, char** argv) {
  CLI::App app{"xlb-decap: IPIP decapsulation for xlb L3-DSR backends (TC ingress program)"};
  app.require_subcommand(1);
  std::string ifname;
  auto* attach = app.add_subcommand("attach", "attach to an interface (stays after exit)");
  attach->add_option("ifname", ifname, "interface that receives the tunnelled traffic")->required();
  auto* detach = app.add_subcommand("detach", "remove from an interface");
  detach->add_option("ifname", ifname, "interface to detach from")->required();
  CLI11_PARSE(app, argc, argv);

  auto result = attach->parsed() ? xlb::attach_decap(ifname) : xlb::detach_decap(ifname);
  if (!result) {
    std::cerr << "xlb-decap: " << result.error().message << "\n";
    return 1;
  }
  std::cout << (attach->parsed() ? "attached to " : "detached from ") << ifname << "\n";
  return 0;
}
