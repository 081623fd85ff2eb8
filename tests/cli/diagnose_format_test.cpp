// What `xlbctl diagnose lb` and `xlbctl get ct --summary` print from the API's JSON: exact
// text for a report with one problem, a healthy one, and the summary table.
#include <gtest/gtest.h>

#include "cli/diagnose.h"

namespace xlb::cli {
namespace {

using nlohmann::json;

TEST(FormatDiagnose, OneBlockPerFindingThenWhatWasChecked) {
  const json report = {
      {"target", "10.9.16.249:80/tcp"},
      {"healthy", false},
      {"findings",
       {{{"severity", "info"},
         {"code", "vip_on_link"},
         {"title", "VIP on link."},
         {"evidence", json::array()},
         {"fix", ""}},
        {{"severity", "problem"},
         {"code", "endpoint_refuses"},
         {"title", "backend 10.9.16.20:8080 refuses connections."},
         {"evidence", {"2 flows were answered with a TCP RST.", "probe: refused."}},
         {"fix", "start the service."}}}},
      {"checked", {"rules", "routes"}}};
  EXPECT_EQ(format_diagnose(report, Output::table),
            "diagnose 10.9.16.249:80/tcp: 1 problem found\n"
            "\n"
            "INFO  VIP on link.\n"
            "\n"
            "PROBLEM  backend 10.9.16.20:8080 refuses connections.\n"
            "  evidence: 2 flows were answered with a TCP RST.\n"
            "  evidence: probe: refused.\n"
            "  fix: start the service.\n"
            "\n"
            "checked:\n"
            "  - rules\n"
            "  - routes\n");
  EXPECT_EQ(json::parse(format_diagnose(report, Output::json)), report);
}

TEST(FormatDiagnose, HealthySaysSoOnTheFirstLine) {
  const json report = {{"target", "20.20.20.1:80/tcp"},
                       {"healthy", true},
                       {"findings",
                        {{{"severity", "ok"},
                          {"code", "healthy"},
                          {"title", "20.20.20.1:80/tcp looks healthy."},
                          {"evidence", json::array()},
                          {"fix", ""}}}},
                       {"checked", json::array()}};
  EXPECT_EQ(format_diagnose(report, Output::table).substr(0, 39),
            "diagnose 20.20.20.1:80/tcp: healthy\n\nOK");
}

TEST(FormatCtSummary, TableStatesAndSnatTargets) {
  const json summary = {{"capacity", 1024},
                        {"entries", 860},
                        {"flows", 430},
                        {"fill_percent", 83.984375},
                        {"syn_capacity", 1024},
                        {"syn_entries", 12},
                        {"syn_fill_percent", 1.171875},
                        {"flows_by_state", {{"est", 30}, {"udp-new", 400}}},
                        {"flows_by_proto", {{"tcp", 30}, {"udp", 400}}},
                        {"snat_ports", {{"10.0.0.250", 30}}},
                        {"snat_ports_by_target", {{"10.0.0.250 -> 10.0.1.2:8080", 30}}},
                        {"snat_port_capacity", 31744}};
  EXPECT_EQ(format_ct_summary(summary, Output::table),
            "| CAPACITY | ENTRIES | FLOWS | FILL  |\n"
            "|----------|---------|-------|-------|\n"
            "| 1024     | 860     | 430   | 84.0% |\n"
            "handshakes (syn map): 12 of 1024 entries, 1.2%\n"
            "flows by state: est=30, udp-new=400\n"
            "flows by proto: tcp=30, udp=400\n"
            "FullNAT source ports (31744 per SNAT address, endpoint and port):\n"
            "| SNAT -> ENDPOINT            | PORTS | OF    | USED |\n"
            "|-----------------------------|-------|-------|------|\n"
            "| 10.0.0.250 -> 10.0.1.2:8080 | 30    | 31744 | 0.1% |\n");
}

}  // namespace
}  // namespace xlb::cli
