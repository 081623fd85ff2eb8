// Slow and stalled clients (issue 12, control-plane input): a request that stops arriving is
// closed within the API's read timeout, changes nothing, and does not keep others from being
// served. (A client that keeps dribbling a byte at a time is bounded only by the header limit;
// docs/security.md says so.)
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "harness.h"

namespace xlb::test {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

// The API's read timeout is 5 s (api_server.cpp) and the connection closes about 7 s after the
// stall (measured: the closing_after_ms property); allow for a loaded two-core machine.
constexpr auto kCloseBound = std::chrono::seconds(12);

// A raw TCP connection to the API that sends exactly what the test says, when it says.
class RawClient {
 public:
  RawClient() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(kApiPort);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawClient() { ::close(fd_); }
  bool connected() const { return connected_; }
  void send(const std::string& bytes) {
    ASSERT_EQ(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }
  // Reads until the server closes (or `limit` passes); returns how long that took. What the
  // server sent before closing is in received().
  Clock::duration wait_closed(Clock::duration limit) {
    const auto start = Clock::now();
    char buf[4096];
    while (Clock::now() - start < limit) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;  // FIN or reset
      received_.append(buf, static_cast<size_t>(n));
    }
    return Clock::now() - start;
  }
  const std::string& received() const { return received_; }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string received_;
};

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

class SlowClient : public ApiTest {
 protected:
  void expect_alive_and_unchanged(const json& before) {
    auto health = api_client().Get("/healthz");
    ASSERT_TRUE(health);
    EXPECT_EQ(health->status, 200);
    EXPECT_EQ(config(), before);
  }
};

TEST_F(SlowClient, StalledHeadersAreClosedWithinTheReadTimeout) {
  const json before = config();
  RawClient slow;
  ASSERT_TRUE(slow.connected());
  slow.send("POST /api/v1/loadbalancers HTTP/1.1\r\nHost: xlb\r\nContent-Type: appl");
  const auto took = slow.wait_closed(kCloseBound + std::chrono::seconds(5));
  EXPECT_LT(took, kCloseBound) << "closed after " << seconds(took) << " s";
  RecordProperty("closing_after_ms", static_cast<int>(seconds(took) * 1000));
  expect_alive_and_unchanged(before);
}

TEST_F(SlowClient, StalledBodyIsClosedAndChangesNothing) {
  const json before = config();
  const std::string body = web_rule().dump();
  RawClient slow;
  ASSERT_TRUE(slow.connected());
  slow.send(
      "POST /api/v1/loadbalancers HTTP/1.1\r\nHost: xlb\r\nContent-Type: "
      "application/json\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body.substr(0, body.size() / 2));
  const auto took = slow.wait_closed(kCloseBound + std::chrono::seconds(5));
  EXPECT_LT(took, kCloseBound) << "closed after " << seconds(took) << " s";
  // Either closed silently or with a 4xx; never a success.
  EXPECT_EQ(slow.received().find("HTTP/1.1 2"), std::string::npos) << slow.received();
  expect_alive_and_unchanged(before);
}

TEST_F(SlowClient, StalledClientsDoNotKeepOthersWaiting) {
  const json before = config();
  std::vector<std::unique_ptr<RawClient>> stalled;
  for (int i = 0; i < 4; ++i) {
    stalled.push_back(std::make_unique<RawClient>());
    ASSERT_TRUE(stalled.back()->connected());
    stalled.back()->send("GET /api/v1/config HTTP/1.1\r\nHo");
  }
  auto http = api_client();
  http.set_read_timeout(2);
  const auto start = Clock::now();
  auto res = http.Post("/api/v1/loadbalancers", web_rule().dump(), "application/json");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 201) << res->body;
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(2));
  for (auto& s : stalled) EXPECT_LT(s->wait_closed(kCloseBound), kCloseBound);
  EXPECT_NE(config(), before);  // the well-behaved client's rule, and nothing else, landed
  EXPECT_EQ(config()["services"].size(), 1u);
}

}  // namespace
}  // namespace xlb::test
