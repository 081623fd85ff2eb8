// xlbctl's grammar: each command's --help equals the text the single-main xlbctl printed before
// it was split by verb (golden/help/), so no subcommand, flag, alias, default or description
// drifts; a command line picks its subcommand's action; global options may follow subcommands.
#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <sstream>

#include "cli/verbs.h"
#include "golden_file.h"

namespace xlb::cli {
namespace {

// Parses `words` (no program name) as xlbctl would; rethrows CLI11's parse errors.
void parse_words(CLI::App& app, std::vector<std::string> words) {
  std::reverse(words.begin(), words.end());  // CLI11 takes a vector last word first
  app.parse(words);
}

// What `xlbctl <words> --help` prints.
std::string help_of(const std::vector<std::string>& words) {
  Invocation run;
  auto app = make_xlbctl(run);
  auto with_help = words;
  with_help.push_back("--help");
  try {
    parse_words(*app, with_help);
  } catch (const CLI::CallForHelp&) {
    return app->help();
  }
  ADD_FAILURE() << "--help did not ask for help";
  return "";
}

const std::vector<std::vector<std::string>> kEveryCommand = {{},
                                                             {"create"},
                                                             {"create", "lb"},
                                                             {"create", "endpoint"},
                                                             {"create", "bgpglobal"},
                                                             {"create", "bgpneighbor"},
                                                             {"delete"},
                                                             {"delete", "lb"},
                                                             {"delete", "endpoint"},
                                                             {"delete", "bgpglobal"},
                                                             {"delete", "bgpneighbor"},
                                                             {"set"},
                                                             {"set", "ep"},
                                                             {"set", "ha"},
                                                             {"get"},
                                                             {"get", "lb"},
                                                             {"get", "ep"},
                                                             {"get", "ct"},
                                                             {"get", "stats"},
                                                             {"get", "ha"},
                                                             {"get", "cluster"},
                                                             {"get", "bgpglobal"},
                                                             {"get", "bgpneighbor"},
                                                             {"diagnose"},
                                                             {"diagnose", "lb"},
                                                             {"save"},
                                                             {"apply"},
                                                             {"reload"},
                                                             {"reload", "certs"}};

std::string golden_name(const std::vector<std::string>& words) {
  std::string name;
  for (const auto& w : words) name += (name.empty() ? "" : "_") + w;
  return "help/" + (name.empty() ? std::string("root") : name) + ".txt";
}

// CLI11 lists an option's "Excludes:" in the order of the options' addresses: sort them.
std::string with_sorted_excludes(const std::string& help) {
  std::istringstream in(help);
  std::string out, line;
  while (std::getline(in, line)) {
    if (auto at = line.find(" Excludes: "); at != std::string::npos) {
      std::istringstream names(line.substr(at + 11));
      std::vector<std::string> sorted{std::istream_iterator<std::string>(names), {}};
      std::sort(sorted.begin(), sorted.end());
      line.resize(at + 10);
      for (const auto& n : sorted) line += " " + n;
    }
    out += line + "\n";
  }
  return out;
}

TEST(Grammar, EveryCommandsHelpIsUnchanged) {
  for (const auto& words : kEveryCommand) {
    SCOPED_TRACE(golden_name(words));
    EXPECT_EQ(with_sorted_excludes(help_of(words)),
              with_sorted_excludes(read_golden(golden_name(words))));
  }
}

TEST(Grammar, EachLeafCommandChoosesAnAction) {
  const std::vector<std::vector<std::string>> leaves = {
      {"create", "lb", "10.0.0.1"},
      {"create", "endpoint", "10.0.0.2", "--probetype=tcp"},
      {"delete", "lb", "10.0.0.1"},
      {"delete", "endpoint", "10.0.0.2"},
      {"set", "ep", "10.0.0.2", "--state=up"},
      {"get", "lb"},
      {"get", "ep", "-o", "wide"},
      {"get", "ct", "--summary"},
      {"get", "stats"},
      {"get", "ha"},
      {"create", "bgpglobal", "--localAS=65001", "--routerID=10.0.1.11"},
      {"create", "bgpneighbor", "10.0.1.1", "65000", "--remotePort=1179", "--holdTime=3"},
      {"create", "bgpnei", "10.0.1.1", "65000"},
      {"get", "bgpneigh"},
      {"get", "bgpglobal", "-o", "json"},
      {"delete", "bgpneighbor", "10.0.1.1"},
      {"delete", "bgpglobal"},
      {"get", "hastate", "-o", "wide"},
      {"get", "ha", "default", "--ready"},
      {"set", "ha", "default", "--state=MASTER"},
      {"set", "ha", "default", "--state=backup"},
      {"get", "cluster"},
      {"diagnose", "lb", "10.0.0.1"},
      {"save"},
      {"apply", "-f", "x.json"}};
  for (const auto& words : leaves) {
    Invocation run;
    auto app = make_xlbctl(run);
    ASSERT_NO_THROW(parse_words(*app, words)) << words[0] << " " << words[1];
    EXPECT_TRUE(run.action) << words[0] << " " << words[1];
  }
}

TEST(Grammar, VerbsNeedASubcommand) {
  for (const char* verb : {"create", "delete", "set", "get", "diagnose"}) {
    Invocation run;
    auto app = make_xlbctl(run);
    EXPECT_THROW(parse_words(*app, {verb}), CLI::RequiredError) << verb;
  }
}

TEST(Grammar, GlobalOptionsMayFollowTheSubcommand) {
  Invocation run;
  auto app = make_xlbctl(run);
  parse_words(*app, {"get", "ct", "--vip", "10.0.0.1", "-p", "8080", "--apiserver", "10.9.9.9"});
  EXPECT_EQ(run.port, 8080);
  EXPECT_EQ(run.server, "10.9.9.9");
}

TEST(Grammar, ExitsZeroPassesErrorsThrough) {
  auto ok = exits_zero([](ApiClient&) -> Result<void> { return Ok{}; });
  auto failed = exits_zero([](ApiClient&) -> Result<void> { return invalid("x", "bad x"); });
  ApiClient api("127.0.0.1", 1);
  auto status = ok(api);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(*status, 0);
  auto error = failed(api);
  ASSERT_FALSE(error.ok());
  EXPECT_EQ(error.error().message, "bad x");
}

TEST(Grammar, SetHaTakesOnlyTheFourStatesInAnyCase) {
  for (const char* state : {"MASTER", "backup", "Fault", "NOT_DEFINED"}) {
    Invocation run;
    auto app = make_xlbctl(run);
    EXPECT_NO_THROW(parse_words(*app, {"set", "ha", "default", std::string("--state=") + state}))
        << state;
  }
  Invocation run;
  auto app = make_xlbctl(run);
  EXPECT_THROW(parse_words(*app, {"set", "ha", "default", "--state=LEADER"}), CLI::ValidationError);
}

}  // namespace
}  // namespace xlb::cli
