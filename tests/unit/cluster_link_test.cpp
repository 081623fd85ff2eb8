// The peer channel over loopback: two nodes with the same key see each other's HA states; the
// port refuses addresses outside --cluster, peers without the key or with another one, clients
// that speak no TLS or TLS without the key, and after authentication anything malformed or of
// another wire version. Refusals are counted by reason.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <functional>
#include <thread>

#include "cluster/ct_sync.h"
#include "cluster/psk_tls.h"
#include "cluster/tls_peer_link.h"
#include "cluster/wire.h"
#include "ct_sync_fixtures.h"
#include "ct_test_key.h"
#include "datapath/fake/fake_datapath.h"

namespace xlb::cluster {
namespace {

using namespace std::chrono_literals;
using Bytes = std::vector<uint8_t>;

constexpr char kKey[] = "0123456789abcdef-the-cluster-key";
constexpr char kOtherKey[] = "fedcba9876543210-another-key!!";

// A TCP port free right now on 127.0.0.1.
uint16_t free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// A connected socket to 127.0.0.1:port, from `source` (a 127/8 address).
int connect_loopback(uint16_t port, const char* source = "127.0.0.1") {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in from{};
  from.sin_family = AF_INET;
  ::inet_pton(AF_INET, source, &from.sin_addr);
  ::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds within = 3s) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return done();
}

class ClusterLinkTest : public ::testing::Test {
 protected:
  // The test's own TLS writes go to connections the link may have closed: EPIPE, not SIGPIPE.
  void SetUp() override {
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
  }
  // A node listening on `port`, dialing 127.0.0.1:`peer_port`.
  std::unique_ptr<TlsPeerLink> node(uint32_t self, uint16_t port, uint16_t peer_port,
                                    const char* key = kKey, const char* peer_ip = "127.0.0.1",
                                    SyncChannel* sync = nullptr) {
    ClusterLinkOptions o;
    o.listen_ip = "127.0.0.1";
    o.listen_port = port;
    o.peers = {{peer_ip, peer_port}};
    o.self = self;
    o.software = "xlb test";
    o.heartbeat = 50ms;
    o.silence_limit = 400ms;
    o.connect_timeout = 200ms;
    o.handshake_timeout = 500ms;
    o.retry = 50ms;
    auto tls = ClusterTls::create(key);
    EXPECT_TRUE(tls.ok());
    auto link =
        std::make_unique<TlsPeerLink>(o, std::shared_ptr<const ClusterTls>(std::move(*tls)), sync);
    auto started = link->start();
    EXPECT_TRUE(started.ok()) << started.error().message;
    return link;
  }
  // An authenticated connection to `link`, as a peer with the key would open it.
  std::unique_ptr<TlsConn> authenticated_client(TlsPeerLink& link) {
    auto tls = ClusterTls::create(kKey);
    const int fd = connect_loopback(link.port());
    EXPECT_GE(fd, 0);
    auto conn = TlsConn::handshake(**tls, TlsConn::Role::client, fd, 1s);
    EXPECT_TRUE(conn.ok()) << conn.error().message;
    if (!conn.ok()) ::close(fd);
    return conn.ok() ? std::move(*conn) : nullptr;
  }
  static PeerStatus only_peer(const TlsPeerLink& link) { return link.peers().at(0); }
};

TEST_F(ClusterLinkTest, TwoNodesWithTheKeySeeEachOthersStates) {
  const uint16_t pa = free_loopback_port(), pb = free_loopback_port();
  auto a = node(0, pa, pb);
  auto b = node(1, pb, pa);
  a->publish({{"default", HaState::master}});
  b->publish({{"default", HaState::backup}});
  ASSERT_TRUE(eventually([&] {
    auto p = only_peer(*a);
    return p.connected && p.reporting && p.states.count("default") &&
           p.states.at("default") == HaState::backup;
  })) << only_peer(*a).last_error;
  const PeerStatus seen_by_a = only_peer(*a);
  EXPECT_EQ(seen_by_a.self, 1u);
  EXPECT_EQ(seen_by_a.resync, ResyncState::complete);
  EXPECT_EQ(seen_by_a.last_error, "");
  ASSERT_TRUE(eventually([&] {
    auto p = only_peer(*b);
    return p.connected && p.states.count("default") && p.states.at("default") == HaState::master;
  }));

  a->publish({{"default", HaState::fault}});  // a change is sent at once, not at the heartbeat
  EXPECT_TRUE(eventually(
      [&] {
        auto p = only_peer(*b);
        return p.states.count("default") && p.states.at("default") == HaState::fault;
      },
      40ms * 5));

  b->stop();
  EXPECT_TRUE(eventually([&] { return !only_peer(*a).connected; }, 1s));
  EXPECT_TRUE(only_peer(*a).states.empty()) << "a disconnected peer's states are not current";
  const ClusterRejects r = a->rejects();
  EXPECT_EQ(r.address + r.handshake + r.malformed + r.version, 0u);
}

TEST_F(ClusterLinkTest, AnotherKeyIsRefusedBothWays) {
  const uint16_t pa = free_loopback_port(), pb = free_loopback_port();
  auto a = node(0, pa, pb);
  auto b = node(1, pb, pa, kOtherKey);
  ASSERT_TRUE(eventually([&] { return a->rejects().handshake > 0 && b->rejects().handshake > 0; }));
  std::this_thread::sleep_for(200ms);
  EXPECT_FALSE(only_peer(*a).connected);
  EXPECT_FALSE(only_peer(*a).reporting);
  EXPECT_FALSE(only_peer(*b).connected);
  EXPECT_NE(only_peer(*a).last_error.find("--cluster-key-file"), std::string::npos)
      << only_peer(*a).last_error;
}

TEST_F(ClusterLinkTest, ClientsWithoutTheKeyAreRefused) {
  auto a = node(0, free_loopback_port(), free_loopback_port());
  // Not TLS at all.
  const int plain = connect_loopback(a->port());
  ASSERT_GE(plain, 0);
  const char garbage[] = "GET / HTTP/1.0\r\n\r\n";
  ASSERT_GT(::write(plain, garbage, sizeof garbage - 1), 0);
  EXPECT_TRUE(eventually([&] { return a->rejects().handshake == 1; }));
  ::close(plain);
  // TLS 1.3, but no pre-shared key: the server has no certificate to offer instead.
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL* ssl = SSL_new(ctx);
  const int fd = connect_loopback(a->port());
  SSL_set_fd(ssl, fd);
  EXPECT_NE(SSL_connect(ssl), 1);
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  ::close(fd);
  EXPECT_TRUE(eventually([&] { return a->rejects().handshake == 2; }));
  EXPECT_FALSE(only_peer(*a).connected);
}

TEST_F(ClusterLinkTest, OnlyClusterAddressesMayConnect) {
  auto a = node(0, free_loopback_port(), free_loopback_port(), kKey, "127.0.0.2");
  const int fd = connect_loopback(a->port(), "127.0.0.1");
  ASSERT_GE(fd, 0);
  EXPECT_TRUE(eventually([&] { return a->rejects().address == 1; }));
  char byte;
  EXPECT_EQ(::read(fd, &byte, 1), 0) << "closed before a byte was exchanged";
  ::close(fd);
  EXPECT_EQ(a->rejects().handshake, 0u);
}

TEST_F(ClusterLinkTest, AnAuthenticatedPeerSendingGarbageIsDisconnected) {
  auto a = node(0, free_loopback_port(), free_loopback_port());
  auto conn = authenticated_client(*a);
  ASSERT_TRUE(conn);
  ASSERT_TRUE(conn->write_all(wire::encode(wire::Hello{1, "raw"})).ok());
  ASSERT_TRUE(eventually([&] { return only_peer(*a).connected; }));
  Bytes bad = wire::encode(wire::HaStates{{{"default", HaState::master}}});
  bad.insert(bad.end(), {'X', 'L', wire::kVersion, 99, 0, 0, 0, 0});
  ASSERT_TRUE(conn->write_all(bad).ok());
  EXPECT_TRUE(eventually([&] { return a->rejects().malformed == 1; }));
  EXPECT_FALSE(only_peer(*a).connected);
  EXPECT_TRUE(only_peer(*a).states.empty()) << "the report sent with the garbage is not applied";
  EXPECT_NE(only_peer(*a).last_error.find("malformed"), std::string::npos)
      << only_peer(*a).last_error;
}

TEST_F(ClusterLinkTest, AnotherWireVersionIsRefusedWithTheVersionsNamed) {
  auto a = node(0, free_loopback_port(), free_loopback_port());
  auto conn = authenticated_client(*a);
  ASSERT_TRUE(conn);
  Bytes hello = wire::encode(wire::Hello{1, "future xlb"});
  hello[2] = wire::kVersion + 1;
  ASSERT_TRUE(conn->write_all(hello).ok());
  EXPECT_TRUE(eventually([&] { return a->rejects().version == 1; }));
  const std::string theirs = "version " + std::to_string(wire::kVersion + 1);
  EXPECT_NE(only_peer(*a).last_error.find(theirs), std::string::npos) << only_peer(*a).last_error;
  EXPECT_FALSE(only_peer(*a).connected);
}

TEST_F(ClusterLinkTest, APeerWithTheSameSelfIsRefused) {
  const uint16_t pa = free_loopback_port(), pb = free_loopback_port();
  auto a = node(0, pa, pb);
  auto b = node(0, pb, pa);
  EXPECT_TRUE(eventually([&] {
    return only_peer(*a).last_error.find("--self") != std::string::npos;
  })) << only_peer(*a).last_error;
  EXPECT_FALSE(only_peer(*a).connected);
}

// Conntrack sync over the real channel: one node's rule and flow, the other's datapath.
class ClusterSyncLinkTest : public ClusterLinkTest {
 protected:
  void SetUp() override {
    ClusterLinkTest::SetUp();
    // The same rule on both nodes, under different ids.
    const SyncEndpoint ep{"10.1.2.10", 8080};
    ASSERT_TRUE(
        dp_a.upsert_service(sync_svc_key("20.20.20.1", 80), sync_svc(2, XLB_MODE_NAT, {ep})).ok());
    ASSERT_TRUE(
        dp_b.upsert_service(sync_svc_key("20.20.20.1", 80), sync_svc(5, XLB_MODE_NAT, {ep})).ok());
  }
  // A NAT flow of rule 2 on node A that saw its last packet just now.
  static xlb_ct_entry nat_flow(uint32_t svc_id) {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    const uint64_t now = static_cast<uint64_t>(ts.tv_sec) * kSecond + ts.tv_nsec;
    return sync_orig_entry(svc_id, 0, XLB_MODE_NAT, {"10.1.2.10", 8080}, now);
  }
  bool on_b(const xlb_ct_key& key) { return dp_b.lookup_flow(key)->has_value(); }

  FakeDatapath dp_a, dp_b;
  CtSync sync_a{dp_a, {}};
  CtSync sync_b{dp_b, {}};
};

TEST_F(ClusterSyncLinkTest, ThePeersDumpArrivesBeforeItIsReadyThenEventsFollow) {
  const auto dumped = ct_key("10.0.0.9", 40000, "20.20.20.1", 80);
  dp_a.add_flow(dumped, nat_flow(2));
  ASSERT_TRUE(sync_a.start().ok());
  ASSERT_TRUE(sync_b.start().ok());
  const uint16_t pa = free_loopback_port(), pb = free_loopback_port();
  auto b = node(1, pb, pa, kKey, "127.0.0.1", &sync_b);
  auto a = node(0, pa, pb, kKey, "127.0.0.1", &sync_a);
  ASSERT_TRUE(eventually([&] { return only_peer(*b).resync == ResyncState::complete; }))
      << only_peer(*b).last_error;
  // The dump's end came after its records: everything A held is on B once B is ready.
  EXPECT_TRUE(on_b(dumped));
  EXPECT_EQ(dp_b.lookup_flow(dumped)->value().svc_id, 5u);
  EXPECT_TRUE(only_peer(*b).sync.last_full_resync);
  EXPECT_EQ(only_peer(*b).sync.flows_received, 1u);

  const auto streamed = ct_key("10.0.0.9", 40001, "20.20.20.1", 80);
  const auto pushed = std::chrono::steady_clock::now();
  dp_a.push_flow_event({Datapath::FlowEvent::Kind::established, streamed, nat_flow(2)});
  ASSERT_TRUE(eventually([&] { return on_b(streamed); }, 1s));
  EXPECT_LT(std::chrono::steady_clock::now() - pushed, 500ms);
  dp_a.push_flow_event({Datapath::FlowEvent::Kind::closed, streamed, nat_flow(2)});
  EXPECT_TRUE(eventually([&] { return !on_b(streamed); }, 1s));
  EXPECT_EQ(only_peer(*a).sync.closed_sent, 1u);
  a->stop();
  b->stop();
}

TEST_F(ClusterSyncLinkTest, APeerWithoutSyncSendsAnEmptyDumpSoNobodyWaitsForIt) {
  const uint16_t pa = free_loopback_port(), pb = free_loopback_port();
  auto b = node(1, pb, pa, kKey, "127.0.0.1", &sync_b);
  auto a = node(0, pa, pb);  // no conntrack sync on this one
  ASSERT_TRUE(eventually([&] { return only_peer(*b).resync == ResyncState::complete; }))
      << only_peer(*b).last_error;
  EXPECT_EQ(only_peer(*b).sync.flows_received, 0u);
  EXPECT_EQ(a->rejects().malformed, 0u) << "the records' types are known without sync too";
}

TEST_F(ClusterSyncLinkTest, GarbageAfterValidRecordsWritesNothingOfThatRead) {
  ASSERT_TRUE(sync_b.start().ok());
  auto b = node(1, free_loopback_port(), free_loopback_port(), kKey, "127.0.0.1", &sync_b);
  auto conn = authenticated_client(*b);
  ASSERT_TRUE(conn);
  wire::SyncRecord r;
  r.kind = wire::SyncRecord::Kind::flow;
  r.proto = IPPROTO_TCP;
  r.client = parse_ipv4("10.0.0.9").value();
  r.client_port = 40002;
  r.vip = parse_ipv4("20.20.20.1").value();
  r.vip_port = 80;
  r.endpoint = parse_ipv4("10.1.2.10").value();
  r.endpoint_port = 8080;
  r.mode = XLB_MODE_NAT;
  r.state = XLB_CT_EST;
  r.flags = XLB_CT_F_DNAT;
  Bytes sent = wire::encode(wire::Hello{0, "raw"});
  const Bytes records = wire::encode(wire::FlowBatch{0, {r}});
  sent.insert(sent.end(), records.begin(), records.end());
  sent.insert(sent.end(), {'X', 'L', wire::kVersion, 99, 0, 0, 0, 0});  // then garbage
  ASSERT_TRUE(conn->write_all(sent).ok());
  EXPECT_TRUE(eventually([&] { return b->rejects().malformed == 1; }));
  EXPECT_FALSE(on_b(ct_key("10.0.0.9", 40002, "20.20.20.1", 80)));
  size_t flows = 0;
  ASSERT_TRUE(dp_b.for_each_flow([&](const CtFlow&) { return ++flows, true; }).ok());
  EXPECT_EQ(flows, 0u);
  EXPECT_EQ(only_peer(*b).sync.flows_received, 0u);
}

TEST_F(ClusterSyncLinkTest, APeerWithAnotherKeyWritesNothing) {
  dp_a.add_flow(ct_key("10.0.0.9", 40003, "20.20.20.1", 80), nat_flow(2));
  const uint16_t pa = free_loopback_port(), pb = free_loopback_port();
  auto b = node(1, pb, pa, kKey, "127.0.0.1", &sync_b);
  auto a = node(0, pa, pb, kOtherKey, "127.0.0.1", &sync_a);
  ASSERT_TRUE(eventually([&] { return b->rejects().handshake > 0; }));
  size_t flows = 0;
  ASSERT_TRUE(dp_b.for_each_flow([&](const CtFlow&) { return ++flows, true; }).ok());
  EXPECT_EQ(flows, 0u);
  EXPECT_EQ(only_peer(*b).resync, ResyncState::none);
}

TEST(ClusterPsk, TheKeyIsDerivedNotUsedAsIs) {
  const auto psk = cluster_psk(kKey);
  EXPECT_EQ(psk, cluster_psk(kKey));
  EXPECT_NE(psk, cluster_psk(kOtherKey));
  EXPECT_NE(Bytes(psk.begin(), psk.end()), Bytes(kKey, kKey + kPskBytes));
}

}  // namespace
}  // namespace xlb::cluster
