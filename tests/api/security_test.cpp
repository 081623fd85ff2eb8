// The locked-down API and directories (docs/security.md): xlbd listens beyond loopback only with
// a bearer token; without the token every request but /healthz gets 401 and changes nothing; the
// token never reaches the log; state and pin directories are private to root.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "harness.h"

namespace xlb::test {
namespace {

using nlohmann::json;

constexpr const char* kToken = "s3cret-T0ken-4b1d9f2e7c";
constexpr const char* kLanAddress = "10.99.0.1";  // on v0, inside the test's own namespace

// `args` with the value of `--name=` replaced (CLI11 refuses an option given twice).
std::vector<std::string> with_option(std::vector<std::string> args, const std::string& name,
                                     const std::string& value) {
  for (auto& a : args) {
    if (a.rfind(name + "=", 0) == 0) a = name + "=" + value;
  }
  return args;
}

mode_t mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

httplib::Headers bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

class Security : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = skip_reason()) GTEST_SKIP() << *why;
    netns_ = std::make_unique<NetnsGuard>();
    must_run({"ip", "addr", "add", std::string(kLanAddress) + "/24", "dev", "v0"});
    token_file_ = secrets_.path() + "/api.token";
    write_token_file(token_file_, std::string(kToken) + "\n", 0600);
  }
  void TearDown() override {
    running_.reset();
    netns_.reset();
  }

  static void write_token_file(const std::string& path, const std::string& text, mode_t mode) {
    std::ofstream(path) << text;
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
  }
  std::vector<std::string> args(const std::vector<std::string>& extra = {}) {
    return xlbd_args(state_.path(), pins_.path(), extra);
  }
  // xlbd on every address (so also on 127.0.0.1, where the harness looks for it) with a token.
  void start_with_token(const std::string& log_level = "warn") {
    auto a = with_option(args({"--interfaces=v0", "--api-token-file=" + token_file_}), "--api",
                         "0.0.0.0:" + std::to_string(kApiPort));
    a = with_option(a, "--log-level", log_level);
    std::string error;
    running_ = Xlbd::start(a, &error);
    ASSERT_TRUE(running_) << error;
  }

  std::unique_ptr<NetnsGuard> netns_;
  TempDir state_{"xlbsec-state"};
  TempDir secrets_{"xlbsec-token"};
  PinDir pins_;
  std::string token_file_;
  std::unique_ptr<Xlbd> running_;
};

TEST_F(Security, ListeningBeyondLoopbackWithoutATokenIsRefused) {
  for (const std::string& address : {std::string(kLanAddress), std::string("0.0.0.0")}) {
    auto r = run_xlbd(with_option(args({"--interfaces=v0"}), "--api", address + ":11111"));
    expect_startup_failure(r, {"--api=" + address + ":11111", "--api-token-file"});
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  // Nothing was set up: no pins, no filters.
  EXPECT_FALSE(std::filesystem::exists(pins_.path() + "/xlb_svc_v1"));
}

TEST_F(Security, TokenFileOthersCanReadIsRefused) {
  for (mode_t mode : {0644, 0640, 0604, 0660}) {
    SCOPED_TRACE(mode);
    ASSERT_EQ(::chmod(token_file_.c_str(), mode), 0);
    auto r = run_xlbd(args({"--interfaces=v0", "--api-token-file=" + token_file_}));
    expect_startup_failure(r, {token_file_, "chmod 0600", "--api-token-file"});
    EXPECT_EQ(r.err.find(kToken), std::string::npos) << r.err;
  }
}

TEST_F(Security, ShortOrMissingTokenIsRefusedWithoutEchoingIt) {
  write_token_file(token_file_, "short\n", 0600);
  auto r = run_xlbd(args({"--interfaces=v0", "--api-token-file=" + token_file_}));
  expect_startup_failure(r, {token_file_, "16 to 1024", "--api-token-file"});
  EXPECT_EQ(r.err.find("short"), std::string::npos) << r.err;

  auto missing = run_xlbd(args({"--interfaces=v0", "--api-token-file=" + token_file_ + ".no"}));
  expect_startup_failure(missing, {token_file_ + ".no", "No such file"});
}

TEST_F(Security, RequestsWithoutTheRightTokenGet401AndChangeNothing) {
  start_with_token();
  auto http = api_client();
  ASSERT_EQ(
      http.Post("/api/v1/loadbalancers", bearer(kToken), web_rule().dump(), "application/json")
          ->status,
      201);
  const json before = body_json(http.Get("/api/v1/config", bearer(kToken)));

  json other = web_rule();
  other["port"] = 81;
  const std::string almost = std::string(kToken).substr(0, std::strlen(kToken) - 1);
  const std::vector<std::pair<std::string, httplib::Headers>> refused = {
      {"no header", {}},
      {"wrong token", bearer("not-the-token-at-all-1234")},
      {"token prefix", bearer(almost)},
      {"token plus a byte", bearer(std::string(kToken) + "x")},
      {"empty bearer", {{"Authorization", "Bearer "}}},
      {"basic scheme", {{"Authorization", std::string("Basic ") + kToken}}},
  };
  for (const auto& [what, headers] : refused) {
    SCOPED_TRACE(what);
    auto get = http.Get("/api/v1/loadbalancers", headers);
    expect_error(get, 401, "Authorization", "API token");
    EXPECT_EQ(get->get_header_value("WWW-Authenticate"), "Bearer realm=\"xlb\"");
    expect_error(http.Post("/api/v1/loadbalancers", headers, other.dump(), "application/json"), 401,
                 "Authorization", "API token");
    expect_error(http.Delete("/api/v1/loadbalancers/10.0.0.100/tcp/80", headers), 401,
                 "Authorization", "API token");
    expect_error(http.Put("/api/v1/config", headers, R"({"services":[]})", "application/json"), 401,
                 "Authorization", "API token");
  }
  EXPECT_EQ(body_json(http.Get("/api/v1/config", bearer(kToken))), before);

  // Liveness stays open for probes; the same API answers on the non-loopback address.
  EXPECT_EQ(http.Get("/healthz")->status, 200);
  httplib::Client lan(kLanAddress, kApiPort);
  lan.set_connection_timeout(2);
  expect_error(lan.Get("/api/v1/config"), 401, "Authorization", "API token");
  EXPECT_EQ(body_json(lan.Get("/api/v1/config", bearer(kToken))), before);
}

TEST_F(Security, XlbctlSendsTheTokenFromAFileOrTheEnvironment) {
  start_with_token();
  auto without = xlbctl({"get", "lb"});
  EXPECT_EQ(without.exit_code, 1);
  EXPECT_NE(without.err.find("missing or wrong API token"), std::string::npos) << without.err;

  auto created = xlbctl({"--token-file=" + token_file_, "create", "lb", "10.0.0.100",
                         "--tcp=80:8080", "--endpoints=10.0.1.2:1"});
  EXPECT_EQ(created.exit_code, 0) << created.err;

  ::setenv("XLB_API_TOKEN_FILE", token_file_.c_str(), 1);
  auto listed = xlbctl({"get", "lb"});
  ::unsetenv("XLB_API_TOKEN_FILE");
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("10.0.0.100"), std::string::npos) << listed.out;
}

TEST_F(Security, TheTokenNeverReachesTheLog) {
  start_with_token("trace");
  auto http = api_client();
  http.Get("/api/v1/config", bearer(kToken));
  http.Post("/api/v1/loadbalancers", bearer(kToken), web_rule().dump(), "application/json");
  http.Get("/api/v1/config", bearer("guess-guess-guess-guess"));
  http.Get("/no/such/route", bearer(kToken));
  const std::string log = running_->log();
  EXPECT_NE(log.find("api: GET /api/v1/config"), std::string::npos) << "trace logging is on";
  EXPECT_NE(log.find("token required"), std::string::npos) << log;
  EXPECT_EQ(log.find(kToken), std::string::npos) << log;
  EXPECT_EQ(log.find("guess-guess"), std::string::npos) << log;
}

TEST_F(Security, NewStateAndPinDirectoriesArePrivate) {
  const std::string state = state_.path() + "/new/state";
  std::string error;
  running_ = Xlbd::start(xlbd_args(state, pins_.path(), {"--interfaces=v0"}), &error);
  ASSERT_TRUE(running_) << error;
  EXPECT_EQ(mode_of(state), 0700u);
  EXPECT_EQ(mode_of(pins_.path()), 0700u);
  struct stat st {};
  ASSERT_EQ(::stat(state.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u);
}

TEST_F(Security, WorldWritableOrForeignStateDirectoryIsRefused) {
  ASSERT_EQ(::chmod(state_.path().c_str(), 01777), 0);  // even with the sticky bit, like /tmp
  auto r = run_xlbd(args({"--interfaces=v0"}));
  expect_startup_failure(r, {state_.path(), "world-writable", "chmod 0700", "--state-dir"});
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;

  ASSERT_EQ(::chmod(state_.path().c_str(), 0700), 0);
  ASSERT_EQ(::chown(state_.path().c_str(), 65534, 65534), 0);
  auto foreign = run_xlbd(args({"--interfaces=v0"}));
  expect_startup_failure(foreign, {state_.path(), "owned by uid 65534", "--state-dir"});
  EXPECT_FALSE(std::filesystem::exists(pins_.path() + "/xlb_svc_v1"));
}

}  // namespace
}  // namespace xlb::test
