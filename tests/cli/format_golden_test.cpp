// Golden-output tests for xlbctl's tables and JSON: fixed API answers (golden/*.input.json)
// rendered and compared byte for byte with golden/<name>. XLB_UPDATE_GOLDEN=1 rewrites them.
#include <gtest/gtest.h>

#include <cctype>

#include "cli/format.h"
#include "golden_file.h"

namespace xlb::cli {
namespace {

nlohmann::json input(const std::string& name) {
  return nlohmann::json::parse(read_golden(name + ".input.json"));
}

struct Case {
  const char* golden;
  const char* input;
  std::string (*format)(const nlohmann::json&, Output);
  Output output;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.golden; }

class FormatGolden : public ::testing::TestWithParam<Case> {};

TEST_P(FormatGolden, MatchesGoldenFile) {
  const Case& c = GetParam();
  expect_golden(c.golden, c.format(input(c.input), c.output));
}

INSTANTIATE_TEST_SUITE_P(
    Xlbctl, FormatGolden,
    ::testing::Values(Case{"get_lb.txt", "loadbalancers", format_loadbalancers, Output::table},
                      Case{"get_lb_wide.txt", "loadbalancers", format_loadbalancers, Output::wide},
                      Case{"get_lb.json", "loadbalancers", format_loadbalancers, Output::json},
                      Case{"get_ep.txt", "endpoints", format_endpoints, Output::table},
                      Case{"get_ep_wide.txt", "endpoints", format_endpoints, Output::wide},
                      Case{"get_ep.json", "endpoints", format_endpoints, Output::json},
                      Case{"get_ct.txt", "conntrack", format_conntrack, Output::table},
                      Case{"get_ct.json", "conntrack", format_conntrack, Output::json},
                      Case{"get_stats.txt", "stats", format_stats, Output::table},
                      Case{"get_ha.txt", "ha", format_ha, Output::table},
                      Case{"get_ha_wide.txt", "ha", format_ha, Output::wide}),
    [](const ::testing::TestParamInfo<Case>& info) {
      std::string name = info.param.golden;
      for (char& ch : name) {
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      }
      return name;
    });

TEST(FormatEmpty, TablesWithNoRowsShowOnlyTheHeader) {
  const auto empty = nlohmann::json::object();
  EXPECT_EQ(format_loadbalancers(empty, Output::table),
            "| VIP | PORT | PROTO | NAME | SEL | MODE | ENDPOINTS |\n"
            "|-----|------|-------|------|-----|------|-----------|\n");
  EXPECT_EQ(format_conntrack({{"count", 0}, {"flows", nlohmann::json::array()}}, Output::table)
                .find("| SERVICE |"),
            0u);
  EXPECT_EQ(format_endpoints(empty, Output::table).find("| HOST |"), 0u);
}

TEST(FormatStats, AnAnswerWithoutAttachShowsTheCountersAlone) {
  // An xlbd from before --attach: no "attach" member, no attach lines.
  const auto old = nlohmann::json{{"datapath", {{"fwd_new", 4}}}};
  EXPECT_EQ(format_stats(old, Output::table),
            "| COUNTER | VALUE |\n"
            "|---------|-------|\n"
            "| fwd_new | 4     |\n");
}

}  // namespace
}  // namespace xlb::cli
