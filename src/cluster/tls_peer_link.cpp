#include "cluster/tls_peer_link.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace xlb::cluster {
namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

constexpr size_t kReadChunkBytes = 16 * 1024;
// Connections at once from the --cluster addresses (handshakes included); more are closed.
constexpr size_t kMaxInboundPerPeer = 4;
constexpr auto kRefusalLogInterval = std::chrono::seconds(10);

std::string errno_text(int err) { return std::strerror(err); }

std::string peer_ip_of(const sockaddr_in& addr) {
  char text[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &addr.sin_addr, text, sizeof text);
  return text;
}

std::string ms_text(milliseconds t) { return std::to_string(t.count()) + " ms"; }

wire::HaStates to_wire(const LocalStates& states) { return wire::HaStates{states}; }

// OpenSSL writes with write(): to a peer that reset the connection that raises SIGPIPE, which
// would end xlbd. Blocked on the link's own threads, the write fails with EPIPE instead.
void block_sigpipe_on_this_thread() {
  sigset_t pipe;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
}

}  // namespace

TlsPeerLink::TlsPeerLink(ClusterLinkOptions options, std::shared_ptr<const ClusterTls> tls,
                         SyncChannel* sync)
    : options_(std::move(options)), tls_(std::move(tls)), sync_(sync) {
  for (const auto& address : options_.peers) {
    PeerSlot slot;
    slot.address = address;
    slot.status.address = address.ip;
    slots_.push_back(std::move(slot));
  }
  if (sync_) {
    sync_->set_wakeup([this] {
      {
        std::lock_guard lock(mu_);
        ++sync_generation_;
      }
      cv_.notify_all();
    });
  }
}

TlsPeerLink::~TlsPeerLink() {
  stop();
  if (sync_) sync_->set_wakeup(nullptr);
  if (listen_fd_ >= 0) ::close(listen_fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

Result<void> TlsPeerLink::start() {
  const std::string where = options_.listen_ip + ":" + std::to_string(options_.listen_port);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(options_.listen_port);
  if (::inet_pton(AF_INET, options_.listen_ip.c_str(), &addr.sin_addr) != 1) {
    return Error{ErrorCode::startup, "cluster listen address " + where + " is not IPv4",
                 "cluster-port"};
  }
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC);
  const int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (listen_fd_ < 0 || wake_fd_ < 0 ||
      ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 16) != 0) {
    const int err = errno;
    return Error{ErrorCode::startup,
                 "cannot listen on the cluster port " + where + " (" + errno_text(err) +
                     "): stop whatever holds it or pass another --cluster-port (the same on "
                     "every node)",
                 "cluster-port"};
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  bound_port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] {
    block_sigpipe_on_this_thread();  // inherited by the inbound workers it starts
    accept_loop();
  });
  for (size_t i = 0; i < slots_.size(); ++i) {
    dialers_.emplace_back([this, i] {
      block_sigpipe_on_this_thread();
      dial_loop(i);
    });
  }
  spdlog::info("cluster: listening on port {} for peers {} (TLS-PSK)", bound_port_, [this] {
    std::string list;
    for (const auto& s : slots_) list += (list.empty() ? "" : ", ") + s.address.ip;
    return list;
  }());
  return Ok{};
}

void TlsPeerLink::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    for (int fd : live_fds_) ::shutdown(fd, SHUT_RDWR);
  }
  cv_.notify_all();
  if (wake_fd_ >= 0) {
    const uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof one);
  }
  if (acceptor_.joinable()) acceptor_.join();
  for (auto& t : dialers_) t.join();
  dialers_.clear();
  std::list<Worker> workers;
  {
    std::lock_guard lock(mu_);
    workers.swap(workers_);
  }
  for (auto& w : workers) w.thread.join();
}

bool TlsPeerLink::stopping() const {
  std::lock_guard lock(mu_);
  return stopping_;
}

void TlsPeerLink::track_fd(int fd) {
  std::lock_guard lock(mu_);
  live_fds_.insert(fd);
  if (stopping_) ::shutdown(fd, SHUT_RDWR);
}

void TlsPeerLink::untrack_fd(int fd) {
  std::lock_guard lock(mu_);
  live_fds_.erase(fd);
}

void TlsPeerLink::note(size_t peer, spdlog::level::level_enum level, const std::string& line) {
  PeerSlot& slot = slots_[peer];
  if (slot.last_logged == line) return;
  slot.last_logged = line;
  spdlog::log(level, "cluster: peer {}: {}", slot.address.ip, line);
}

void TlsPeerLink::publish(const LocalStates& states) {
  {
    std::lock_guard lock(mu_);
    local_ = states;
    ++published_generation_;
  }
  cv_.notify_all();
}

std::vector<PeerStatus> TlsPeerLink::peers() const {
  std::lock_guard lock(mu_);
  const auto now = SteadyClock::now();
  std::vector<PeerStatus> out;
  for (const auto& slot : slots_) {
    PeerStatus st = slot.status;
    st.connected = slot.inbound && now - slot.last_heard <= options_.silence_limit;
    st.reporting = slot.outbound != nullptr;
    // What is wrong in each direction, so a failing dial does not hide why the peer's own
    // connection was refused.
    for (const std::string* e : {&slot.inbound_error, &slot.outbound_error}) {
      if (!e->empty()) st.last_error += (st.last_error.empty() ? "" : "; ") + *e;
    }
    if (st.last_error.empty() && !(st.connected && st.reporting)) {
      st.last_error = "not connected yet";
    }
    if (!st.connected) {
      st.states.clear();
      st.resync = ResyncState::none;
    }
    if (sync_) st.sync = sync_->status(static_cast<size_t>(&slot - slots_.data()));
    out.push_back(std::move(st));
  }
  return out;
}

ClusterRejects TlsPeerLink::rejects() const {
  std::lock_guard lock(mu_);
  return rejects_;
}

void TlsPeerLink::reap_workers() {
  std::list<Worker> finished;
  {
    std::lock_guard lock(mu_);
    for (auto it = workers_.begin(); it != workers_.end();) {
      if (*it->done) {
        finished.splice(finished.end(), workers_, it++);
      } else {
        ++it;
      }
    }
  }
  for (auto& w : finished) w.thread.join();
}

void TlsPeerLink::accept_loop() {
  std::array<pollfd, 2> fds = {pollfd{listen_fd_, POLLIN, 0}, pollfd{wake_fd_, POLLIN, 0}};
  while (true) {
    reap_workers();
    if (::poll(fds.data(), fds.size(), 1000) < 0 && errno != EINTR) {
      spdlog::error("cluster: accept loop stopped: poll failed: {}", errno_text(errno));
      return;
    }
    if (fds[1].revents || stopping()) return;
    if (!(fds[0].revents & POLLIN)) continue;
    sockaddr_in from{};
    socklen_t len = sizeof from;
    const int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&from), &len, SOCK_CLOEXEC);
    if (fd < 0) continue;
    const std::string ip = peer_ip_of(from);
    std::lock_guard lock(mu_);
    size_t peer = slots_.size();
    for (size_t i = 0; i < slots_.size(); ++i) {
      if (slots_[i].address.ip == ip) peer = i;
    }
    if (peer == slots_.size()) {
      // Not a --cluster address: closed before a single byte is read.
      ++rejects_.address;
      const auto now = SteadyClock::now();
      if (now - last_refusal_log_ >= kRefusalLogInterval) {
        last_refusal_log_ = now;
        spdlog::warn(
            "cluster: refused a connection from {}: not a --cluster address ({} refused so far)",
            ip, rejects_.address);
      }
      ::close(fd);
      continue;
    }
    if (workers_.size() >= kMaxInboundPerPeer * slots_.size()) {
      ::close(fd);  // a peer cannot need more; finished ones are reaped above
      continue;
    }
    auto done = std::make_shared<bool>(false);
    live_fds_.insert(fd);
    workers_.push_back(Worker{std::thread([this, fd, peer, done] {
                                serve_inbound(fd, peer);
                                std::lock_guard inner(mu_);
                                *done = true;
                              }),
                              done});
  }
}

Result<wire::Hello> TlsPeerLink::read_hello(TlsConn& conn, wire::FrameReader& reader,
                                            std::vector<wire::Message>& rest) {
  std::vector<uint8_t> buffer(kReadChunkBytes);
  while (!reader.hello_seen()) {
    auto n = conn.read_some(buffer);
    if (!n) return n.error();
    if (*n == 0) return Error{ErrorCode::io, "closed the connection before its hello", ""};
    std::vector<wire::Message> messages;
    if (auto ok = reader.feed({buffer.data(), *n}, messages); !ok) return ok.error();
    if (messages.empty()) continue;
    // The reader allows nothing before a hello, so it is the first message.
    wire::Hello hello = std::get<wire::Hello>(messages.front());
    rest.assign(messages.begin() + 1, messages.end());
    if (hello.self == options_.self) {
      return Error{ErrorCode::invalid_argument,
                   "reports --self=" + std::to_string(hello.self) +
                       ", the same as this node: give each node its own --self, and leave a "
                       "node's own address out of its --cluster",
                   ""};
    }
    return hello;
  }
  return Error{ErrorCode::io, "no hello", ""};
}

bool TlsPeerLink::apply(size_t peer, const TlsConn* conn,
                        const std::vector<wire::Message>& messages) {
  PeerSlot& slot = slots_[peer];
  if (slot.inbound != conn) return false;  // replaced by a newer connection from the same peer
  slot.last_heard = SteadyClock::now();
  for (const auto& msg : messages) {
    if (const auto* states = std::get_if<wire::HaStates>(&msg)) {
      slot.status.states.clear();
      for (const auto& [name, state] : states->states) slot.status.states[name] = state;
    }
  }
  return true;
}

void TlsPeerLink::apply_sync(size_t peer, const TlsConn* conn,
                             const std::vector<wire::Message>& messages) {
  if (!sync_) return;  // sync is off here: the peer's records are not for this node
  for (const auto& msg : messages) {
    if (const auto* batch = std::get_if<wire::FlowBatch>(&msg)) {
      sync_->receive(peer, *batch);
    } else if (const auto* end = std::get_if<wire::EndOfDump>(&msg)) {
      sync_->dump_complete(peer, *end);
      std::lock_guard lock(mu_);
      if (slots_[peer].inbound == conn) slots_[peer].status.resync = ResyncState::complete;
    }
  }
}

void TlsPeerLink::serve_inbound(int fd, size_t peer) {
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  auto handshake = TlsConn::handshake(*tls_, TlsConn::Role::server, fd, options_.handshake_timeout);
  if (!handshake) {
    std::lock_guard lock(mu_);
    live_fds_.erase(fd);
    ::close(fd);
    if (stopping_) return;
    ++rejects_.handshake;
    record_failure(peer, Direction::inbound,
                   "refused its connection: " + handshake.error().message);
    return;
  }
  std::unique_ptr<TlsConn> conn = std::move(*handshake);
  wire::FrameReader reader;
  std::vector<wire::Message> rest;
  auto hello = read_hello(*conn, reader, rest);
  if (hello) {
    (void)conn->write_all(wire::encode(wire::Hello{options_.self, options_.software}));
  }
  std::string ended;
  {
    std::lock_guard lock(mu_);
    if (!hello) {
      if (hello.error().code == ErrorCode::not_supported) {
        ++rejects_.version;
      } else if (hello.error().code == ErrorCode::invalid_argument) {
        ++rejects_.malformed;
      }
      if (!stopping_)
        record_failure(peer, Direction::inbound, "disconnected it: " + hello.error().message);
      live_fds_.erase(fd);
      return;  // conn closes the socket
    }
    PeerSlot& slot = slots_[peer];
    if (slot.inbound) slot.inbound->interrupt();  // a reconnect replaces the old connection
    slot.inbound = conn.get();
    slot.status.self = hello->self;
    slot.status.connected_since = WallClock::now();
    slot.status.states.clear();
    // With conntrack sync, the peer's full dump follows its hello: not ready to be MASTER until
    // its end arrives (apply_sync). Without, there is nothing to wait for.
    slot.status.resync = sync_ ? ResyncState::running : ResyncState::complete;
    if (sync_) sync_->inbound_up(peer);
    slot.inbound_error.clear();
    (void)apply(peer, conn.get(), rest);
    note(peer, spdlog::level::info,
         "connected (--self=" + std::to_string(hello->self) + ", " + hello->software + ")");
  }
  apply_sync(peer, conn.get(), rest);
  conn->set_read_timeout(options_.silence_limit);
  std::vector<uint8_t> buffer(kReadChunkBytes);
  std::vector<wire::Message> messages;
  while (true) {
    auto n = conn->read_some(buffer);
    if (!n) {
      ended = n.error().code == ErrorCode::unavailable
                  ? "silent for " + ms_text(options_.silence_limit)
                  : n.error().message;
      break;
    }
    if (*n == 0) {
      ended = "closed the connection";
      break;
    }
    auto fed = reader.feed({buffer.data(), *n}, messages);
    {
      std::lock_guard lock(mu_);
      if (!fed) {
        fed.error().code == ErrorCode::not_supported ? ++rejects_.version : ++rejects_.malformed;
        ended = fed.error().message;
        break;
      }
      if (!apply(peer, conn.get(), messages)) continue;  // replaced: the newer one is read
    }
    apply_sync(peer, conn.get(), messages);  // datapath writes, under no lock of the link
  }
  std::lock_guard lock(mu_);
  live_fds_.erase(fd);
  PeerSlot& slot = slots_[peer];
  if (slot.inbound != conn.get()) return;  // replaced: the newer connection speaks for the peer
  slot.inbound = nullptr;
  slot.status.states.clear();
  slot.status.resync = ResyncState::none;
  if (!stopping_) record_failure(peer, Direction::inbound, "disconnected: " + ended);
}

Result<int> TlsPeerLink::connect_to(const PeerAddress& address) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(address.port);
  ::inet_pton(AF_INET, address.ip.c_str(), &addr.sin_addr);
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return Error{ErrorCode::system, "socket: " + errno_text(errno), ""};
  track_fd(fd);
  int err = 0;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    err = errno;
    if (err == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(options_.connect_timeout.count()));
      socklen_t len = sizeof err;
      err = ready == 0 ? ETIMEDOUT : 0;
      if (ready > 0) ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    }
  }
  if (err != 0) {
    untrack_fd(fd);
    ::close(fd);
    return Error{ErrorCode::unavailable, "cannot connect: " + errno_text(err), ""};
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  // Unacknowledged heartbeats fail the connection after this long: a cut peer is noticed.
  const unsigned user_timeout = static_cast<unsigned>(3 * options_.silence_limit.count());
  ::setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout, sizeof user_timeout);
  return fd;
}

void TlsPeerLink::report_to(size_t peer) {
  const PeerAddress address = slots_[peer].address;  // never changes after construction
  auto fd = connect_to(address);
  std::string failed;
  if (!fd) {
    failed = fd.error().message;
  } else {
    auto handshake =
        TlsConn::handshake(*tls_, TlsConn::Role::client, *fd, options_.handshake_timeout);
    if (!handshake) {
      untrack_fd(*fd);
      ::close(*fd);
      failed = handshake.error().message;
    } else {
      std::unique_ptr<TlsConn> conn = std::move(*handshake);
      wire::FrameReader reader;
      std::vector<wire::Message> rest;
      auto sent = conn->write_all(wire::encode(wire::Hello{options_.self, options_.software}));
      auto hello = sent ? read_hello(*conn, reader, rest) : Result<wire::Hello>(sent.error());
      if (!hello) {
        std::lock_guard lock(mu_);
        if (hello.error().code == ErrorCode::not_supported) ++rejects_.version;
        failed = hello.error().message;
      } else {
        failed = send_states(peer, *conn);
      }
      untrack_fd(conn->fd());
    }
  }
  std::lock_guard lock(mu_);
  slots_[peer].outbound = nullptr;
  if (!stopping_) record_failure(peer, Direction::outbound, "cannot report to it: " + failed);
}

void TlsPeerLink::record_failure(size_t peer, Direction direction, const std::string& why) {
  (direction == Direction::inbound ? slots_[peer].inbound_error : slots_[peer].outbound_error) =
      why;
  note(peer, spdlog::level::warn, why);
}

std::string TlsPeerLink::send_states(size_t peer, TlsConn& conn) {
  uint64_t sent_generation = 0;
  uint64_t seen_sync = 0;
  LocalStates states;
  {
    std::lock_guard lock(mu_);
    PeerSlot& slot = slots_[peer];
    slot.outbound = &conn;
    slot.outbound_error.clear();
    // Logged at debug only, but remembered: the next failure is a change, so it is logged.
    note(peer, spdlog::level::debug, "reporting this node's states to it");
    states = local_;
    sent_generation = published_generation_;
    seen_sync = sync_generation_;
  }
  auto last_states = SteadyClock::now();
  auto write_states = [&]() -> Result<void> {
    last_states = SteadyClock::now();
    return conn.write_all(wire::encode(to_wire(states)));
  };
  // During a long dump the peer still hears the states at each heartbeat.
  auto states_if_due = [&]() -> Result<void> {
    if (SteadyClock::now() - last_states < options_.heartbeat) return Ok{};
    {
      std::lock_guard lock(mu_);
      states = local_;
      sent_generation = published_generation_;
    }
    return write_states();
  };
  struct SyncSession {  // the sync's queue for this peer lives as long as the connection
    SyncChannel* sync;
    size_t peer;
    ~SyncSession() {
      if (sync) sync->outbound_down(peer);
    }
  } session{nullptr, peer};
  const FrameSink sink = [&](const std::vector<uint8_t>& frame) -> Result<void> {
    XLB_TRY(conn.write_all(frame));
    return states_if_due();
  };
  if (auto ok = write_states(); !ok) return ok.error().message;
  if (sync_) {
    sync_->outbound_up(peer);  // events from now on are queued, the dump sends the rest
    session.sync = sync_;
    auto flows = sync_->walk_flows(peer, true, sink);
    if (!flows) return flows.error().message;
    if (auto ok = conn.write_all(wire::encode(wire::EndOfDump{*flows})); !ok)
      return ok.error().message;
  } else if (auto ok = conn.write_all(wire::encode(wire::EndOfDump{0})); !ok) {
    // Without sync here, an empty dump: a peer that syncs must not wait for one forever.
    return ok.error().message;
  }
  const auto refresh = sync_ ? sync_->refresh_interval() : std::chrono::hours(24);
  auto next_refresh = SteadyClock::now() + refresh;
  while (true) {
    bool states_changed = false;
    {
      std::unique_lock lock(mu_);
      const auto until = std::min(last_states + options_.heartbeat, next_refresh);
      cv_.wait_until(lock, until, [&] {
        return stopping_ || published_generation_ != sent_generation ||
               sync_generation_ != seen_sync;
      });
      if (stopping_) return "stopping";
      states_changed = published_generation_ != sent_generation;
      seen_sync = sync_generation_;
      if (states_changed) {
        states = local_;
        sent_generation = published_generation_;
      }
    }
    if (sync_) {
      for (const auto& frame : sync_->take_frames(peer)) {
        if (auto ok = conn.write_all(frame); !ok) return ok.error().message;
      }
      if (SteadyClock::now() >= next_refresh) {
        if (auto ok = sync_->walk_flows(peer, false, sink); !ok) return ok.error().message;
        next_refresh = SteadyClock::now() + refresh;
      }
    }
    if (states_changed || SteadyClock::now() - last_states >= options_.heartbeat) {
      if (auto ok = write_states(); !ok) return ok.error().message;
    }
  }
}

void TlsPeerLink::dial_loop(size_t peer) {
  while (true) {
    report_to(peer);
    std::unique_lock lock(mu_);
    if (cv_.wait_for(lock, options_.retry, [this] { return stopping_; })) return;
  }
}

}  // namespace xlb::cluster
