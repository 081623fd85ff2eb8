// close_without_time_wait: a backend connection the proxy closes after its exchange leaves no
// TIME-WAIT behind (each would pin an ephemeral port to the endpoint for 60 s), and the peer
// sees a reset; a plain close of the same kind of connection does leave one (the control).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "proxy/socket_close.h"

namespace xlb::proxy {
namespace {

struct LoopbackPair {
  int listener = -1, client = -1, server = -1;
  uint16_t client_port = 0, server_port = 0;

  LoopbackPair() {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    listener = socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&sa), len), 0);
    EXPECT_EQ(listen(listener, 1), 0);
    getsockname(listener, reinterpret_cast<sockaddr*>(&sa), &len);
    server_port = ntohs(sa.sin_port);
    client = socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_EQ(connect(client, reinterpret_cast<sockaddr*>(&sa), len), 0);
    server = accept(listener, nullptr, nullptr);
    sockaddr_in local{};
    socklen_t local_len = sizeof local;
    getsockname(client, reinterpret_cast<sockaddr*>(&local), &local_len);
    client_port = ntohs(local.sin_port);
  }
  ~LoopbackPair() {
    close(listener);
    if (server >= 0) close(server);
  }
};

// The TCP states (/proc/net/tcp's hex "st" column) of the client's sockets of this pair. The
// whole connection is matched, not the local port alone: tests running beside this one may own
// sockets (a TIME-WAIT, say) on the same ephemeral port towards another destination.
std::string tcp_states_of_client_side(const LoopbackPair& pair) {
  std::ifstream in("/proc/net/tcp");
  std::string line, states;
  std::getline(in, line);  // the header
  char local_want[16], remote_want[16];
  std::snprintf(local_want, sizeof local_want, "0100007F:%04X", pair.client_port);
  std::snprintf(remote_want, sizeof remote_want, "0100007F:%04X", pair.server_port);
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state;
    fields >> slot >> local >> remote >> state;
    if (local == local_want && remote == remote_want) states += state + " ";
  }
  return states;
}

constexpr const char* kTcpTimeWait = "06";

TEST(ProxySocketClose, PlainCloseOfTheActiveCloserLeavesTimeWait) {
  LoopbackPair pair;
  close(pair.client);
  char byte;
  EXPECT_EQ(read(pair.server, &byte, 1), 0);  // an orderly FIN
  close(pair.server);
  pair.server = -1;
  EXPECT_NE(tcp_states_of_client_side(pair).find(kTcpTimeWait), std::string::npos);
}

TEST(ProxySocketClose, CloseWithoutTimeWaitResetsAndLeavesNoSocket) {
  LoopbackPair pair;
  close_without_time_wait(pair.client);
  char byte;
  errno = 0;
  EXPECT_EQ(read(pair.server, &byte, 1), -1);
  EXPECT_EQ(errno, ECONNRESET);
  close(pair.server);
  pair.server = -1;
  EXPECT_EQ(tcp_states_of_client_side(pair), "");
}

}  // namespace
}  // namespace xlb::proxy
