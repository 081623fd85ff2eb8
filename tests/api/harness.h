// Test harness for the API tests: a private network namespace with a veth pair, a temporary
// state dir and bpffs pin dir, and a real xlbd subprocess serving HTTP on loopback there.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/types.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace xlb::test {

struct ProcessResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs argv[0] (PATH lookup) to completion, capturing stdout and stderr.
ProcessResult run(const std::vector<std::string>& argv);
// Runs and fails the current test if the exit code is not 0.
void must_run(const std::vector<std::string>& argv);

// Why the API tests cannot run here (not root), or nullopt.
std::optional<std::string> skip_reason();

// Moves this thread (and every process it starts) into a fresh network namespace with lo up
// and veth pair v0/v1 up; restores the original namespace on destruction. The namespace has
// no name, so it disappears with its last process even if the test crashes.
class NetnsGuard {
 public:
  NetnsGuard();
  ~NetnsGuard();
  NetnsGuard(const NetnsGuard&) = delete;
  NetnsGuard& operator=(const NetnsGuard&) = delete;

 private:
  int original_ = -1;
};

// mkdtemp under /tmp, removed recursively on destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "xlbapi");
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A pin directory on bpffs, removed (with any pins) on destruction.
class PinDir {
 public:
  PinDir();
  ~PinDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline constexpr int kApiPort = 11111;  // the namespace is private, so the port is free

// A running xlbd. Its stderr goes to a log file shown when a test fails.
class Xlbd {
 public:
  // Starts xlbd with `args` and waits until /healthz answers; on failure returns nullptr
  // and sets `error` to the exit status and log.
  static std::unique_ptr<Xlbd> start(const std::vector<std::string>& args, std::string* error);
  ~Xlbd();  // SIGKILL if still running

  // SIGTERM and wait; returns the exit code (or 128+signal). Again: the same code.
  int terminate();
  std::string log() const;
  pid_t pid() const { return pid_; }

 private:
  Xlbd() = default;
  pid_t pid_ = -1;
  int exit_code_ = -1;
  std::string log_path_;
};

// Runs xlbd to completion (for start-ups that must fail, and --cleanup).
ProcessResult run_xlbd(const std::vector<std::string>& args);
// Runs xlbctl with `args` to completion.
ProcessResult xlbctl(const std::vector<std::string>& args);
// xlbd exited 1 and the last line of its stderr is "xlbd: ..." containing every one of `parts`.
void expect_startup_failure(const ProcessResult& r, const std::vector<std::string>& parts);

// Standard daemon arguments for a test: small maps, its own state and pin dirs.
std::vector<std::string> xlbd_args(const std::string& state_dir, const std::string& pin_dir,
                                   const std::vector<std::string>& extra = {});

httplib::Client api_client();
// Parses a response body; fails the test on invalid JSON.
nlohmann::json body_json(const httplib::Result& res);

// Everything a test needs for a daemon in its own namespace, torn down in reverse order.
class DaemonFixture {
 public:
  // Returns false (with `error`) when xlbd did not come up.
  bool start(const std::vector<std::string>& extra_args, std::string* error);
  bool restart(std::string* error);  // SIGTERM, then start again with the same dirs and args
  Xlbd& xlbd() { return *xlbd_; }
  const std::string& state_dir() const { return state_.path(); }
  const std::string& pin_dir() const { return pins_.path(); }

 private:
  NetnsGuard netns_;
  TempDir state_;
  PinDir pins_;
  std::vector<std::string> extra_;
  std::unique_ptr<Xlbd> xlbd_;
};

}  // namespace xlb::test

namespace xlb::test {

// The example rule: 10.0.0.100:80/tcp "web" → 10.0.1.2:8080, 10.0.1.3:8080.
nlohmann::json web_rule();

// Asserts the error shape {"error":{"code","message","field"}} with this status, a message
// that is one line containing `message_part`, and the given field.
void expect_error(const httplib::Result& res, int status, const std::string& field,
                  const std::string& message_part);

// Base fixture: skips without root, otherwise runs xlbd in its own namespace on v0.
class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override;
  virtual std::vector<std::string> daemon_args() const { return {"--interfaces=v0"}; }
  nlohmann::json config();  // GET /api/v1/config
  DaemonFixture& daemon() { return *daemon_; }

 private:
  std::unique_ptr<DaemonFixture> daemon_;
};

}  // namespace xlb::test
