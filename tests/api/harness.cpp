#include "harness.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

namespace xlb::test {
namespace {

std::atomic<int> g_counter{0};

std::string unique_suffix() {
  return std::to_string(::getpid()) + "-" + std::to_string(g_counter++);
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<char*> c_argv(const std::vector<std::string>& argv) {
  std::vector<char*> out;
  for (const auto& a : argv) out.push_back(const_cast<char*>(a.c_str()));
  out.push_back(nullptr);
  return out;
}

int exit_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

ProcessResult run(const std::vector<std::string>& argv) {
  const std::string base = "/tmp/xlbapi-run-" + unique_suffix();
  const std::string out_path = base + ".out", err_path = base + ".err";
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(out, 1);
    ::dup2(err, 2);
    auto args = c_argv(argv);
    ::execvp(args[0], args.data());
    std::fprintf(stderr, "cannot run %s: %s\n", args[0], std::strerror(errno));
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ProcessResult r{exit_code(status), slurp(out_path), slurp(err_path)};
  ::unlink(out_path.c_str());
  ::unlink(err_path.c_str());
  return r;
}

void must_run(const std::vector<std::string>& argv) {
  auto r = run(argv);
  std::string cmd;
  for (const auto& a : argv) cmd += a + " ";
  ASSERT_EQ(r.exit_code, 0) << cmd << "failed: " << r.err;
}

std::optional<std::string> skip_reason() {
  if (::geteuid() != 0) {
    return "API tests need root (network namespaces, veth, BPF); run them as root or exclude "
           "label api";
  }
  return std::nullopt;
}

NetnsGuard::NetnsGuard() {
  original_ = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (original_ < 0 || ::unshare(CLONE_NEWNET) != 0) {
    ADD_FAILURE() << "cannot create a network namespace: " << std::strerror(errno);
    return;
  }
  must_run({"ip", "link", "set", "lo", "up"});
  must_run({"ip", "link", "add", "v0", "type", "veth", "peer", "name", "v1"});
  must_run({"ip", "link", "set", "v0", "up"});
  must_run({"ip", "link", "set", "v1", "up"});
}

NetnsGuard::~NetnsGuard() {
  if (original_ < 0) return;
  if (::setns(original_, CLONE_NEWNET) != 0) {
    ADD_FAILURE() << "cannot return to the original network namespace: " << std::strerror(errno);
  }
  ::close(original_);
}

TempDir::TempDir(const std::string& prefix) {
  std::string templ = "/tmp/" + prefix + "-XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) ADD_FAILURE() << "mkdtemp: " << std::strerror(errno);
  path_ = templ;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

PinDir::PinDir() {
  struct statfs fs {};
  if (::statfs("/sys/fs/bpf", &fs) != 0 || fs.f_type != BPF_FS_MAGIC) {
    if (::mount("bpf", "/sys/fs/bpf", "bpf", 0, nullptr) != 0) {
      ADD_FAILURE() << "/sys/fs/bpf is not bpffs and cannot be mounted: " << std::strerror(errno);
    }
  }
  path_ = "/sys/fs/bpf/xlbapi-" + unique_suffix();
}

PinDir::~PinDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);  // unlinking pins releases the maps
}

ProcessResult run_xlbd(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {XLBD_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv);
}

ProcessResult xlbctl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {XLBCTL_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv);
}

void expect_startup_failure(const ProcessResult& r, const std::vector<std::string>& parts) {
  EXPECT_EQ(r.exit_code, 1) << r.err;
  std::string text = r.err;
  while (!text.empty() && text.back() == '\n') text.pop_back();
  const auto nl = text.rfind('\n');
  const std::string line = nl == std::string::npos ? text : text.substr(nl + 1);
  EXPECT_EQ(line.rfind("xlbd: ", 0), 0u) << r.err;
  for (const auto& p : parts) EXPECT_NE(line.find(p), std::string::npos) << p << " in " << r.err;
}

std::vector<std::string> xlbd_args(const std::string& state_dir, const std::string& pin_dir,
                                   const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"--api=127.0.0.1:" + std::to_string(kApiPort),
                                   "--state-dir=" + state_dir,
                                   "--bpffs=" + pin_dir,
                                   "--ct-size=4096",
                                   "--max-services=64",
                                   "--log-level=warn"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

std::unique_ptr<Xlbd> Xlbd::start(const std::vector<std::string>& args, std::string* error) {
  std::unique_ptr<Xlbd> d(new Xlbd);
  d->log_path_ = "/tmp/xlbapi-xlbd-" + unique_suffix() + ".log";
  std::vector<std::string> argv = {XLBD_PATH};
  argv.insert(argv.end(), args.begin(), args.end());

  d->pid_ = ::fork();
  if (d->pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a crashed test
    const int log = ::open(d->log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(log, 1);
    ::dup2(log, 2);
    auto a = c_argv(argv);
    ::execv(a[0], a.data());
    ::_exit(127);
  }

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(d->pid_, &status, WNOHANG) == d->pid_) {
      d->pid_ = -1;
      *error = "xlbd exited with " + std::to_string(exit_code(status)) + ": " + d->log();
      return nullptr;
    }
    auto client = api_client();
    client.set_connection_timeout(0, 200'000);
    if (auto res = client.Get("/healthz"); res && res->status == 200) return d;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  *error = "xlbd did not answer /healthz within 20s: " + d->log();
  return nullptr;
}

Xlbd::~Xlbd() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  ::unlink(log_path_.c_str());
}

int Xlbd::terminate() {
  if (pid_ <= 0) return exit_code_;
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  exit_code_ = exit_code(status);
  return exit_code_;
}

std::string Xlbd::log() const { return slurp(log_path_); }

httplib::Client api_client() {
  httplib::Client c("127.0.0.1", kApiPort);
  c.set_connection_timeout(2);
  c.set_read_timeout(10);
  return c;
}

nlohmann::json body_json(const httplib::Result& res) {
  if (!res) {
    ADD_FAILURE() << "no HTTP answer: " << httplib::to_string(res.error());
    return nullptr;
  }
  auto j = nlohmann::json::parse(res->body, nullptr, false);
  if (j.is_discarded()) ADD_FAILURE() << "answer is not JSON: " << res->body;
  return j;
}

bool DaemonFixture::start(const std::vector<std::string>& extra_args, std::string* error) {
  extra_ = extra_args;
  xlbd_ = Xlbd::start(xlbd_args(state_.path(), pins_.path(), extra_), error);
  return xlbd_ != nullptr;
}

bool DaemonFixture::restart(std::string* error) {
  const int code = xlbd_->terminate();
  if (code != 0) {
    *error = "xlbd exited with " + std::to_string(code) + " on SIGTERM: " + xlbd_->log();
    return false;
  }
  return start(extra_, error);
}

}  // namespace xlb::test

namespace xlb::test {

nlohmann::json web_rule() {
  return nlohmann::json::parse(R"({
    "vip": "10.0.0.100", "protocol": "tcp", "port": 80, "name": "web",
    "endpoints": [{"ip": "10.0.1.2", "port": 8080, "weight": 1},
                  {"ip": "10.0.1.3", "port": 8080, "weight": 2}]})");
}

void expect_error(const httplib::Result& res, int status, const std::string& field,
                  const std::string& message_part) {
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, status) << res->body;
  auto j = body_json(res);
  ASSERT_TRUE(j.is_object() && j.contains("error")) << res->body;
  const auto& e = j["error"];
  ASSERT_TRUE(e["code"].is_string() && e["message"].is_string() && e["field"].is_string())
      << res->body;
  EXPECT_EQ(e["field"], field) << res->body;
  // The wire names clients match on, spelt out here so a renamed code fails this test.
  static const std::map<int, std::string> kWireCodes = {
      {400, "invalid_argument"}, {401, "unauthenticated"}, {404, "not_found"}, {413, "too_large"}};
  if (auto it = kWireCodes.find(status); it != kWireCodes.end()) {
    EXPECT_EQ(e["code"], it->second) << res->body;
  }
  const std::string message = e["message"];
  EXPECT_NE(message.find(message_part), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

void ApiTest::SetUp() {
  if (auto why = skip_reason()) GTEST_SKIP() << *why;
  daemon_ = std::make_unique<DaemonFixture>();
  std::string error;
  ASSERT_TRUE(daemon_->start(daemon_args(), &error)) << error;
}

nlohmann::json ApiTest::config() {
  auto client = api_client();
  auto res = client.Get("/api/v1/config");
  EXPECT_TRUE(res && res->status == 200);
  return body_json(res);
}

}  // namespace xlb::test
