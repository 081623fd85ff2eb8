// xlbctl end to end against a real xlbd: the loxicmd-style commands, their output, exit codes
// and one-line errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "harness.h"

namespace xlb::test {
namespace {

using nlohmann::json;

void expect_one_line_error(const ProcessResult& r, const std::string& part) {
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.err.rfind("xlbctl: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find(part), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

class Xlbctl : public ApiTest {};

TEST_F(Xlbctl, CreateGetDelete) {
  auto created = xlbctl({"create", "lb", "10.0.0.100", "--tcp=80:8080",
                         "--endpoints=10.0.1.2:1,10.0.1.3:2", "--name=web"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_EQ(created.out, "10.0.0.100:80/tcp created\n");

  auto table = xlbctl({"get", "lb"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("| VIP        | PORT | PROTO | NAME | SEL | MODE    | ENDPOINTS |"),
            std::string::npos)
      << table.out;
  EXPECT_NE(table.out.find("| 10.0.0.100 | 80   | tcp   | web  | rr  | default | 2         |"),
            std::string::npos)
      << table.out;

  auto wide = xlbctl({"get", "lb", "-o", "wide"});
  ASSERT_EQ(wide.exit_code, 0);
  EXPECT_NE(wide.out.find("| 10.0.1.3 | 8080  | 2      | unknown | 0:0"), std::string::npos)
      << wide.out;

  auto as_json = xlbctl({"get", "lb", "-o", "json"});
  ASSERT_EQ(as_json.exit_code, 0);
  EXPECT_EQ(json::parse(as_json.out)["loadbalancers"][0]["endpoints"][1]["weight"], 2);

  auto eps = xlbctl({"get", "ep"});
  ASSERT_EQ(eps.exit_code, 0);
  EXPECT_NE(eps.out.find("| 10.0.1.2 | web  | none      | 8080 |        |         |          |"
                         "          |          | unknown |"),
            std::string::npos)
      << eps.out;

  auto drained = xlbctl({"set", "ep", "10.0.1.3", "--state=draining"});
  ASSERT_EQ(drained.exit_code, 0) << drained.err;
  EXPECT_EQ(drained.out, "endpoint 10.0.1.3 draining\n");
  EXPECT_EQ(config()["services"][0]["endpoints"][1]["state"], "draining");
  auto drained_eps = xlbctl({"get", "ep"});
  EXPECT_NE(drained_eps.out.find("| draining |"), std::string::npos) << drained_eps.out;
  expect_one_line_error(xlbctl({"set", "ep", "10.9.9.9", "--state=up"}), "no rule lists");

  auto replaced = xlbctl({"create", "lb", "10.0.0.100", "--tcp=80:8080", "--endpoints=10.0.1.2:5"});
  ASSERT_EQ(replaced.exit_code, 0) << replaced.err;
  EXPECT_EQ(replaced.out, "10.0.0.100:80/tcp replaced\n");

  auto deleted = xlbctl({"delete", "lb", "10.0.0.100", "--tcp=80"});
  ASSERT_EQ(deleted.exit_code, 0) << deleted.err;
  EXPECT_EQ(deleted.out, "10.0.0.100:80/tcp deleted\n");
  expect_one_line_error(xlbctl({"delete", "lb", "10.0.0.100", "--tcp=80"}), "no rule");
}

TEST_F(Xlbctl, TcpAndUdpMakeOneRuleEach) {
  auto r = xlbctl(
      {"create", "lb", "10.0.0.50", "--tcp=53:5353", "--udp=53:5353", "--endpoints=10.0.1.2:1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(config()["services"].size(), 2u);
}

TEST_F(Xlbctl, SyntaxErrorsNameTheFlag) {
  expect_one_line_error(
      xlbctl({"create", "lb", "10.0.0.1", "--tcp=http", "--endpoints=10.0.1.2:1"}),
      "--tcp expects <port>:<targetPort>");
  expect_one_line_error(xlbctl({"create", "lb", "10.0.0.1", "--tcp=80", "--endpoints=10.0.1.2:x"}),
                        "--endpoints expects <ip>:<weight>");
  expect_one_line_error(xlbctl({"create", "lb", "10.0.0.1", "--endpoints=10.0.1.2:1"}), "--tcp");
  EXPECT_TRUE(config()["services"].empty());
}

TEST_F(Xlbctl, ApiValidationMessagesReachTheUser) {
  expect_one_line_error(
      xlbctl({"create", "lb", "10.0.0.1", "--tcp=80", "--endpoints=10.0.1.2:300"}),
      "endpoints[0].weight must be an integer from 1 to 255, got 300");
  expect_one_line_error(
      xlbctl({"create", "lb", "10.0.0.1", "--tcp=80:8080", "--endpoints=10.0.1.2:1", "--mode=dsr"}),
      "DSR cannot translate ports (80 -> 8080): use the same port or "
      "--mode=fullnat");
  EXPECT_TRUE(config()["services"].empty());
}

// Every create flag reaches the stored rule and probe: the bodies xlbctl sends (the model's
// to_json) pass the API's strict decoder and mean what the flags say.
TEST_F(Xlbctl, EveryCreateFlagIsAcceptedAndKept) {
  auto full =
      xlbctl({"create", "lb", "10.0.0.100", "--tcp=80:8080", "--endpoints=10.0.1.2:1,10.0.1.3:2",
              "--mode=fullnat", "--select=maglev", "--name=web", "--monitor", "--inatimeout=30",
              "--ppv2en", "--snat=10.0.1.50", "--maglev-size=101", "--ondown=reset", "--failopen"});
  ASSERT_EQ(full.exit_code, 0) << full.err;
  auto dsr = xlbctl({"create", "lb", "10.0.0.101", "--udp=53", "--endpoints=10.0.1.2", "--mode=dsr",
                     "--dsr=ipip"});
  ASSERT_EQ(dsr.exit_code, 0) << dsr.err;
  auto persist = xlbctl({"create", "lb", "10.0.0.102", "--tcp=443", "--endpoints=10.0.1.3:4",
                         "--select=persist", "--persist-timeout=600"});
  ASSERT_EQ(persist.exit_code, 0) << persist.err;
  auto probe = xlbctl({"create", "endpoint", "10.0.1.2", "--probetype=http", "--probeport=8080",
                       "--probereq=/health", "--proberesp=200-204", "--proberesp=ok", "--period=1",
                       "--timeout=0.5", "--retries=3", "--rise=4", "--name=b1"});
  ASSERT_EQ(probe.exit_code, 0) << probe.err;
  EXPECT_EQ(probe.out, "endpoint 10.0.1.2 probe http created\n");

  const json saved = config();
  std::map<std::string, json> rules;
  for (const auto& rule : saved["services"]) rules[rule["vip"].get<std::string>()] = rule;
  EXPECT_EQ(rules["10.0.0.100"], json::parse(R"({
    "vip":"10.0.0.100","protocol":"tcp","port":80,"name":"web","mode":"fullnat",
    "select":"maglev","monitor":true,"inactive_timeout":30,"ppv2":true,"snat":["10.0.1.50"],
    "dsr_ipip":false,"persist_timeout":0,"maglev_size":101,"on_down":"reset","fail_open":true,
    "endpoints":[{"ip":"10.0.1.2","port":8080,"weight":1,"state":"up"},
                 {"ip":"10.0.1.3","port":8080,"weight":2,"state":"up"}]})"));
  EXPECT_EQ(rules["10.0.0.101"]["select"], "hash");  // DSR's default selection
  EXPECT_EQ(rules["10.0.0.101"]["dsr_ipip"], true);
  EXPECT_EQ(rules["10.0.0.101"]["protocol"], "udp");
  EXPECT_EQ(rules["10.0.0.102"]["select"], "persist");
  EXPECT_EQ(rules["10.0.0.102"]["persist_timeout"], 600);
  EXPECT_EQ(rules["10.0.0.102"]["endpoints"][0]["weight"], 4);
  EXPECT_EQ(saved["endpoint_probes"], json::parse(R"([{
    "ip":"10.0.1.2","name":"b1","type":"http","port":8080,"request":"/health",
    "expect_status":"200-204","expect":"ok","period":1.0,"timeout":0.5,"retries":3,"rise":4,
    "verify":false}])"));
}

TEST_F(Xlbctl, SaveAndApplyRoundTrip) {
  ASSERT_EQ(xlbctl({"create", "lb", "10.0.0.100", "--tcp=80:8080", "--endpoints=10.0.1.2:1",
                    "--name=web"})
                .exit_code,
            0);
  ASSERT_EQ(xlbctl({"create", "lb", "10.0.0.101", "--udp=53", "--endpoints=10.0.2.10:3",
                    "--select=hash", "--inatimeout=30"})
                .exit_code,
            0);
  const json saved_config = config();

  TempDir dir("xlbctl-save");
  const std::string file = dir.path() + "/lb.json";
  auto saved = xlbctl({"save", "-f", file});
  ASSERT_EQ(saved.exit_code, 0) << saved.err;
  auto stdout_copy = xlbctl({"save"});
  ASSERT_EQ(stdout_copy.exit_code, 0);
  std::ifstream in(file);
  const json from_file = json::parse(in);
  EXPECT_EQ(from_file, saved_config);
  EXPECT_EQ(json::parse(stdout_copy.out), saved_config);

  ASSERT_EQ(xlbctl({"delete", "lb", "10.0.0.100", "--tcp=80"}).exit_code, 0);
  auto applied = xlbctl({"apply", "-f", file});
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  EXPECT_EQ(config(), saved_config);
  auto again = xlbctl({"apply", "-f", file});  // idempotent
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(config(), saved_config);

  expect_one_line_error(xlbctl({"apply", "-f", dir.path() + "/missing.json"}), "missing.json");
}

TEST_F(Xlbctl, ConntrackAndStats) {
  auto ct = xlbctl({"get", "ct", "--name=web"});
  ASSERT_EQ(ct.exit_code, 0) << ct.err;
  EXPECT_EQ(ct.out.rfind("| SERVICE | DESTIP | SRCIP | DPORT | SPORT | PROTO | STATE | ACT |", 0),
            0u)
      << ct.out;
  auto ct_json = xlbctl({"get", "ct", "-o", "json"});
  ASSERT_EQ(ct_json.exit_code, 0);
  EXPECT_EQ(json::parse(ct_json.out)["count"], 0);
  auto stats = xlbctl({"get", "stats"});
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  EXPECT_NE(stats.out.find("| fwd_new "), std::string::npos) << stats.out;
}

TEST_F(Xlbctl, UnreachableDaemonIsExplained) {
  expect_one_line_error(xlbctl({"-p", "1", "get", "lb"}),
                        "cannot reach xlbd at 127.0.0.1:1: is it running?");
  expect_one_line_error(xlbctl({"get", "lb", "--port=2"}),
                        "cannot reach xlbd at 127.0.0.1:2: is it running?");
}

TEST_F(Xlbctl, HelpEverywhere) {
  for (auto args : std::vector<std::vector<std::string>>{
           {"--help"}, {"create", "lb", "--help"}, {"get", "ct", "--help"}, {"apply", "--help"}}) {
    auto r = xlbctl(args);
    EXPECT_EQ(r.exit_code, 0) << args[0];
    EXPECT_NE(r.out.find("Usage:"), std::string::npos);
  }
}

}  // namespace
}  // namespace xlb::test
