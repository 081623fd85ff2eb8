#include "proxy/worker.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/ip.h"
#include "proxy/balancer.h"
#include "proxy/forward.h"
#include "proxy/http_parser.h"
#include "proxy/ppv2.h"
#include "proxy/socket_address.h"
#include "proxy/socket_close.h"

namespace xlb::proxy {
// Named, not anonymous: Worker::Loop (external linkage) holds these.
namespace worker_detail {

using SteadyClock = std::chrono::steady_clock;
using Instant = SteadyClock::time_point;

enum class FdKind : uint8_t { listener, client, backend };

// What an epoll event is about: epoll_data.ptr points at one of these.
struct FdTag {
  FdKind kind;
  void* owner = nullptr;  // the ProxySession or ProxyBackend
};

struct ProxySession;

// A connection's TLS session when it has one (the socket's bytes are then its records).
struct TlsChannel {
  SSL* ssl = nullptr;
  bool want_write = false;   // a read needs the socket writable first (handshake records)
  bool established = false;  // the handshake finished (and was counted)
  std::string failure;       // why the handshake failed (tls_failure_reason), once it did

  TlsChannel() = default;
  TlsChannel(const TlsChannel&) = delete;
  TlsChannel& operator=(const TlsChannel&) = delete;
  ~TlsChannel() {
    if (ssl) SSL_free(ssl);
  }
};

// Idle backend connections are pooled by endpoint (address of either family and port) and by the
// TLS context they were verified with (null: plain): a connection verified for one rule's
// name and CA never carries another rule's request.
using PoolKey = std::pair<IpPortKey, const SSL_CTX*>;

struct ProxyBackend {
  FdTag tag{FdKind::backend, this};
  int fd = -1;
  PoolKey pool_key{};
  SslCtxPtr tls_ctx;  // e2ehttps: the rule's context this connection was opened with
  TlsChannel tls_io;
  bool connecting = true;
  bool readable = false, writable = false, eof = false;
  bool reused = false;            // taken from the pool for this exchange
  bool answered = false;          // a byte of the response arrived
  std::string out, in;            // to the endpoint / from it, not yet parsed
  ProxySession* owner = nullptr;  // nullptr while idle in the pool
  Instant deadline{};             // connect timeout, or idle timeout in the pool
};

enum class Phase : uint8_t {
  idle,     // between requests (keep-alive), or before the first byte
  request,  // a request is being read, forwarded or answered
  closing,  // the last answer is written; the connection closes once it is flushed
};

struct ProxySession {
  FdTag tag{FdKind::client, this};
  int fd = -1;
  IpPortKey listener;   // the VIP:port the client connected to (IPv4 or IPv6)
  uint16_t port = 0;    // its port (X-Forwarded-Port)
  IpAddress peer;       // the TCP peer (PPv2 trust is decided on it)
  std::string client;   // the client's address (RFC 5952 for IPv6): the peer, or a PPv2 source
  IpAddress client_ip;  // `client` parsed (XFF trust); the family is the client's, not the VIP's
  bool ppv2_checked = false;
  bool readable = false, writable = false, eof = false;
  std::string in, out;
  HttpParser request;
  HttpParser response;
  Phase phase = Phase::idle;
  Instant deadline{};
  bool dead = false;
  // The exchange under way.
  std::shared_ptr<const RuntimeConfig> config;  // keeps `rule` alive across a config push
  const RuntimeRule* rule = nullptr;
  uint64_t generation = 0;  // of the balancers the endpoint was picked from
  size_t endpoint_index = 0;
  bool balanced = false;  // counted as in flight by the rule's balancer (lc)
  ProxyBackend* backend = nullptr;
  bool head_answered = false;  // the response head went to the client
  bool keep = true;            // the client connection stays open after this exchange
  bool retried = false;
  std::string retry_head;  // a body-less request's head, to resend once on a fresh connection
  Instant started{};
  uint64_t served = 0;  // exchanges finished on this connection
  // TLS ports: the client's TLS session, and the certificates it was started with (kept
  // alive for the SNI callback, whatever reload came since).
  TlsChannel tls_io;
  std::shared_ptr<const TlsListener> tls;
  bool tls_closed = false;  // close_notify sent
  bool write_shut = false;  // our side of the TCP connection is shut (FIN sent)

  ProxySession(const Limits& limits)
      : request(HttpParser::Kind::request, limits), response(HttpParser::Kind::response, limits) {}
  ProxySession(const ProxySession&) = delete;
  ProxySession& operator=(const ProxySession&) = delete;
};

uint32_t ms_since(Instant from, Instant now) {
  return static_cast<uint32_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(now - from).count());
}

void set_nodelay(int fd) {
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

}  // namespace worker_detail

using namespace worker_detail;

struct Worker::Loop {
  Loop(int fd, const ConfigStore& published, StatsRegistry& counters,
       std::atomic<uint32_t>& connection_count)
      : listen_fd(fd), store(published), registry(counters), connections(connection_count) {}

  int listen_fd;
  const ConfigStore& store;
  StatsRegistry& registry;
  std::atomic<uint32_t>& connections;
  int epfd = -1;
  FdTag listener_tag{FdKind::listener};
  bool accepting = true;
  // The limits of the published config; new connections take them (parsers keep a copy).
  Limits limits;
  std::shared_ptr<const RuntimeConfig> config;
  uint64_t generation = ~uint64_t{0};
  std::unordered_map<std::string, RuleBalancer> balancers;
  std::unordered_map<ProxySession*, std::unique_ptr<ProxySession>> sessions;
  std::unordered_map<ProxyBackend*, std::unique_ptr<ProxyBackend>> backends;
  std::map<PoolKey, std::vector<ProxyBackend*>> pool;
  std::vector<ProxySession*> doomed;
  Instant now = SteadyClock::now();

  size_t in_cap() const { return kStreamBufferBytes + limits.max_header_bytes; }

  // --- configuration ---------------------------------------------------------------------

  void refresh_config() {
    if (store.generation() == generation) return;
    generation = store.generation();
    config = store.current();
    limits = config->limits;
    balancers.clear();
    for (const auto& r : config->rules) balancers.try_emplace(r.key, r.service);
  }

  // --- epoll -----------------------------------------------------------------------------

  void watch(int fd, FdTag* tag) {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.ptr = tag;
    epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
  }

  void set_accepting(bool on) {
    if (on == accepting) return;
    accepting = on;
    epoll_event ev{};
    ev.events = on ? uint32_t{EPOLLIN} : 0u;
    ev.data.ptr = &listener_tag;
    epoll_ctl(epfd, EPOLL_CTL_MOD, listen_fd, &ev);
  }

  // --- client connections ----------------------------------------------------------------

  void accept_clients() {
    for (int i = 0; i < 64; ++i) {
      if (connections.load(std::memory_order_relaxed) >= limits.max_connections) {
        set_accepting(false);  // the rest wait in the backlog
        return;
      }
      sockaddr_storage peer_sa{};
      socklen_t len = sizeof peer_sa;
      const int fd = accept4(listen_fd, reinterpret_cast<sockaddr*>(&peer_sa), &len,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;
      sockaddr_storage local_sa{};
      socklen_t local_len = sizeof local_sa;
      const auto peer = from_sockaddr(peer_sa);
      const auto local = getsockname(fd, reinterpret_cast<sockaddr*>(&local_sa), &local_len) == 0
                             ? from_sockaddr(local_sa)
                             : std::nullopt;
      if (!peer || !local) {
        close(fd);
        continue;
      }
      auto s = std::make_unique<ProxySession>(limits);
      s->fd = fd;
      s->listener = ip_port_key(local->ip, local->port);
      s->port = local->port;
      if (config->is_tls(s->listener) && !start_tls(*s)) {
        close(fd);  // an https port none of whose certificates loaded
        continue;
      }
      connections.fetch_add(1, std::memory_order_relaxed);
      set_nodelay(fd);
      s->peer = peer->ip;
      s->client_ip = peer->ip;
      s->client = format_ip(peer->ip);
      s->deadline = now + std::chrono::milliseconds(limits.header_timeout_ms);
      ProxySession* raw = s.get();
      sessions.emplace(raw, std::move(s));
      watch(fd, &raw->tag);
    }
  }

  bool start_tls(ProxySession& s) {
    s.tls = config->tls_for(s.listener);
    if (!s.tls) return false;
    s.tls_io.ssl = s.tls->accept_session(s.fd);
    return s.tls_io.ssl != nullptr;
  }

  void close_session(ProxySession& s) {
    if (s.dead) return;
    s.dead = true;
    if (s.backend) drop_backend(*s.backend);
    s.backend = nullptr;
    doomed.push_back(&s);
  }

  void reap() {
    for (ProxySession* s : doomed) {
      close(s->fd);
      connections.fetch_sub(1, std::memory_order_relaxed);
      sessions.erase(s);
    }
    doomed.clear();
    if (!accepting && connections.load(std::memory_order_relaxed) < limits.max_connections)
      set_accepting(true);
  }

  // The proxy's own answer, then the connection closes (after the client had a chance to read
  // it: write side shut, the rest of its input read and dropped until EOF or the deadline).
  void answer_and_close(ProxySession& s, int status, const std::string& reason) {
    end_balance(s);
    if (s.rule) {
      s.rule->stats->count_response(status);
    } else {
      registry.count_refused(status);
    }
    if (s.backend) drop_backend(*s.backend);
    s.backend = nullptr;
    s.out += error_response(status, reason, /*keep_client=*/false);
    s.phase = Phase::closing;
    s.in.clear();
    s.deadline = now + std::chrono::seconds(2);
  }

  // The exchange cannot go on and part of the response already left: only closing tells.
  void abort_session(ProxySession& s) {
    end_balance(s);
    if (s.rule) s.rule->stats->count_response(502);
    close_session(s);
  }

  bool read_socket(int fd, std::string& into, size_t cap, bool& readable, bool& eof) {
    if (!readable || eof || into.size() >= cap) return false;
    char buf[16384];
    const size_t want = std::min(sizeof buf, cap - into.size());
    const ssize_t r = read(fd, buf, want);
    if (r > 0) {
      into.append(buf, static_cast<size_t>(r));
      return true;
    }
    if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
      readable = errno == EINTR;
      return false;
    }
    eof = true;  // closed, or reset
    return true;
  }

  // false when the socket failed (the caller closes).
  bool write_socket(int fd, std::string& from, bool& writable, bool& progress) {
    while (writable && !from.empty()) {
      const ssize_t w = send(fd, from.data(), from.size(), MSG_NOSIGNAL);
      if (w > 0) {
        from.erase(0, static_cast<size_t>(w));
        progress = true;
        continue;
      }
      if (w < 0 && errno == EINTR) continue;
      if (w < 0 && errno == EAGAIN) {
        writable = false;
        break;
      }
      return false;
    }
    return true;
  }

  // The handshake of `io` finished: counted once.
  void note_tls_progress(TlsChannel& io, TlsSide side) {
    if (io.established || !SSL_is_init_finished(io.ssl)) return;
    io.established = true;
    registry.count_tls_handshake(side);
  }

  // The TLS session failed or closed: a failure before the end of its handshake is counted,
  // with OpenSSL's reason.
  void note_tls_end(TlsChannel& io, TlsSide side) {
    if (io.established || !io.failure.empty()) {
      ERR_clear_error();
      return;
    }
    io.failure = tls_failure_reason(io.ssl);
    registry.count_tls_failure(side, io.failure);
  }

  // Bytes decrypted from the TLS records of a socket (the handshake runs inside the first
  // reads). A TLS failure or close_notify is the end of input.
  bool read_tls(TlsChannel& io, TlsSide side, std::string& into, size_t cap, bool& readable,
                bool& eof) {
    if (!readable || eof || into.size() >= cap) return false;
    char buf[16384];
    const int want = static_cast<int>(std::min(sizeof buf, cap - into.size()));
    const int r = SSL_read(io.ssl, buf, want);
    note_tls_progress(io, side);
    if (r > 0) {
      into.append(buf, static_cast<size_t>(r));
      return true;
    }
    switch (SSL_get_error(io.ssl, r)) {
      case SSL_ERROR_WANT_READ:
        readable = false;
        return false;
      case SSL_ERROR_WANT_WRITE:
        readable = false;
        io.want_write = true;
        return false;
      default:  // close_notify, a reset, or a refused handshake (TLS 1.1, no common cipher...)
        note_tls_end(io, side);
        eof = true;
        return true;
    }
  }

  // false when the connection failed (the caller closes).
  bool write_tls(TlsChannel& io, TlsSide side, std::string& from, bool& writable, bool& progress) {
    while (writable && !from.empty()) {
      const int w =
          SSL_write(io.ssl, from.data(), static_cast<int>(std::min<size_t>(from.size(), INT_MAX)));
      note_tls_progress(io, side);
      if (w > 0) {
        from.erase(0, static_cast<size_t>(w));
        progress = true;
        continue;
      }
      const int e = SSL_get_error(io.ssl, w);
      if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
        writable = false;
        break;
      }
      note_tls_end(io, side);
      return false;
    }
    return true;
  }

  // A connection's bytes in or out: through its TLS session when it has one.
  bool read_stream(int fd, TlsChannel& io, TlsSide side, std::string& into, bool& readable,
                   bool& eof) {
    if (!io.ssl) return read_socket(fd, into, in_cap(), readable, eof);
    return read_tls(io, side, into, in_cap(), readable, eof);
  }

  bool write_stream(int fd, TlsChannel& io, TlsSide side, std::string& from, bool& writable,
                    bool& progress) {
    if (!io.ssl) return write_socket(fd, from, writable, progress);
    return write_tls(io, side, from, writable, progress);
  }

  bool read_client(ProxySession& s) {
    return read_stream(s.fd, s.tls_io, TlsSide::client, s.in, s.readable, s.eof);
  }

  bool write_client(ProxySession& s, bool& progress) {
    return write_stream(s.fd, s.tls_io, TlsSide::client, s.out, s.writable, progress);
  }

  // PPv2 before the first request: only a peer a rule of this listener trusts may send one.
  // Returns false while more bytes are needed or the session was refused.
  bool check_ppv2(ProxySession& s) {
    if (s.ppv2_checked) return true;
    if (s.in.empty()) return false;
    const Ppv2Header h = parse_ppv2(s.in);
    if (h.status == Ppv2Header::Status::absent) {
      s.ppv2_checked = true;
      return true;
    }
    if (h.status == Ppv2Header::Status::need_more && !s.eof) return false;
    if (!config->trusts_on_listener(s.listener, s.peer) || h.status != Ppv2Header::Status::ok) {
      answer_and_close(s, 400, "Proxy Protocol header not accepted from this peer");
      return false;
    }
    s.in.erase(0, h.length);
    if (!h.source.empty()) {
      s.client = h.source;  // ppv2.cpp wrote it with inet_ntop: RFC 5952 for IPv6
      // An address that does not parse is trusted by no network (the unspecified family).
      s.client_ip = parse_ip(h.source).value_or(IpAddress{{}, 0});
    }
    s.ppv2_checked = true;
    return true;
  }

  bool handle_client_input(ProxySession& s) {
    if (s.phase == Phase::closing) {
      s.in.clear();  // read and dropped until the client closes
      return false;
    }
    if (s.request.state() == HttpParser::State::head) {
      if (!check_ppv2(s)) return false;
      if (s.in.empty()) return false;
      if (s.phase == Phase::idle) {
        s.phase = Phase::request;
        s.deadline = now + std::chrono::milliseconds(limits.header_timeout_ms);
      }
      std::string unused;
      const size_t used = s.request.feed(s.in, unused);
      if (s.request.state() == HttpParser::State::failed) {
        answer_and_close(s, s.request.fault().status, s.request.fault().reason);
        return true;
      }
      if (s.request.state() == HttpParser::State::head) return false;
      s.in.erase(0, used);
      start_exchange(s);
      return true;
    }
    if (s.request.state() == HttpParser::State::body && s.backend) {
      ProxyBackend& b = *s.backend;
      if (s.in.empty() || b.out.size() >= kStreamBufferBytes) return false;
      const size_t room = kStreamBufferBytes - b.out.size();
      const std::string_view slice(s.in.data(), std::min(room, s.in.size()));
      const size_t used = s.request.feed(slice, b.out);
      if (s.request.state() == HttpParser::State::failed) {
        if (s.head_answered) {
          abort_session(s);
        } else {
          answer_and_close(s, s.request.fault().status, s.request.fault().reason);
        }
        return true;
      }
      s.in.erase(0, used);
      s.deadline = now + std::chrono::milliseconds(limits.body_idle_timeout_ms);
      if (s.request.state() == HttpParser::State::done) request_sent(s);
      return used > 0;
    }
    return false;
  }

  // The whole request is in the backend's output: the response timeout starts.
  void request_sent(ProxySession& s) {
    if (!s.head_answered) s.deadline = now + std::chrono::milliseconds(limits.response_timeout_ms);
  }

  void start_exchange(ProxySession& s) {
    const MessageHead& req = s.request.head();
    s.config = config;
    s.generation = generation;
    const std::string host = model::normalize_host(req.one("Host").value_or(""));
    s.rule = config->route(s.listener, host);
    s.head_answered = false;
    s.retried = false;
    s.retry_head.clear();
    s.started = now;
    if (!s.rule) return answer_and_close(s, 404, "no rule for this host");
    s.rule->stats->requests.fetch_add(1, std::memory_order_relaxed);
    auto balancer = balancers.find(s.rule->key);
    auto index = balancer == balancers.end() ? std::nullopt : balancer->second.pick(s.client, now);
    if (!index) return answer_and_close(s, 503, "no endpoint is up");
    s.endpoint_index = *index;
    balancer->second.started(*index);
    s.balanced = true;
    s.keep = req.keep_alive;
    s.response.reset();
    if (req.method == "HEAD") s.response.expect_no_body();

    ForwardContext ctx;
    ctx.client = s.client;
    ctx.client_trusted = s.rule->trusts(s.client_ip);
    ctx.xff = s.rule->service.xff;
    ctx.listen_port = s.port;
    ctx.close_backend = s.rule->service.reuse == model::Reuse::never;
    ctx.client_tls = s.tls_io.ssl != nullptr;
    std::string head = backend_request_head(req, ctx);
    const bool no_body = s.request.state() == HttpParser::State::done;
    if (s.rule->service.security == model::Security::e2ehttps && !s.rule->backend_tls)
      return answer_and_close(s, 502, "the rule's TLS settings for its endpoints did not load");
    if (!attach_backend(s)) return answer_and_close(s, 502, "cannot connect to the endpoint");
    if (no_body && s.backend->reused) s.retry_head = head;
    s.backend->out += head;
    s.deadline = now + std::chrono::milliseconds(limits.body_idle_timeout_ms);
    if (no_body) request_sent(s);
  }

  // The request left the rule's lc count (if the balancers it was counted in are still ours).
  void end_balance(ProxySession& s) {
    if (!s.balanced) return;
    s.balanced = false;
    if (s.generation != generation || !s.rule) return;
    auto it = balancers.find(s.rule->key);
    if (it != balancers.end()) it->second.finished(s.endpoint_index);
  }

  // --- backend connections ---------------------------------------------------------------

  const model::Endpoint& endpoint_of(const ProxySession& s) const {
    return s.rule->service.endpoints[s.endpoint_index];
  }

  // A pooled connection to the endpoint (as the rule's --reuse allows), else a new one.
  bool attach_backend(ProxySession& s, bool fresh_only = false) {
    const model::Endpoint& ep = endpoint_of(s);
    const auto ip = parse_ip(ep.ip);
    if (!ip) return false;
    const SocketAddress endpoint{*ip, ep.port};
    // e2ehttps: TLS to the endpoint under the rule's context (none when its CA did not load).
    const bool e2e = s.rule->service.security == model::Security::e2ehttps;
    if (e2e && !s.rule->backend_tls) return false;
    const PoolKey key{ip_port_key(endpoint.ip, endpoint.port),
                      e2e ? s.rule->backend_tls.get() : nullptr};
    const model::Reuse reuse = s.rule->service.reuse;
    // safe: a client's first request never rides a reused connection (HAProxy's meaning), so
    // a connection the endpoint closes at that moment fails a request the client can retry.
    const bool may_reuse =
        !fresh_only && (reuse == model::Reuse::always || (reuse == model::Reuse::safe && s.served));
    if (may_reuse) {
      auto it = pool.find(key);
      while (it != pool.end() && !it->second.empty()) {
        ProxyBackend* b = it->second.back();
        it->second.pop_back();
        if (b->eof) {
          retire_backend(*b);
          continue;
        }
        b->owner = &s;
        b->reused = true;
        b->answered = false;
        s.backend = b;
        return true;
      }
    }
    sockaddr_storage sa{};
    const socklen_t sa_len = to_sockaddr(endpoint, sa);
    const int fd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    set_nodelay(fd);
    if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sa_len) != 0 && errno != EINPROGRESS) {
      close(fd);
      return false;
    }
    auto b = std::make_unique<ProxyBackend>();
    b->fd = fd;
    b->pool_key = key;
    if (e2e) {
      b->tls_ctx = s.rule->backend_tls;
      b->tls_io.ssl = open_backend_session(b->tls_ctx.get(), fd, s.rule->service, ep.ip);
      if (!b->tls_io.ssl) {
        close(fd);
        return false;
      }
    }
    b->owner = &s;
    b->deadline = now + std::chrono::milliseconds(limits.connect_timeout_ms);
    ProxyBackend* raw = b.get();
    backends.emplace(raw, std::move(b));
    watch(fd, &raw->tag);
    s.rule->stats->backend_connections.fetch_add(1, std::memory_order_relaxed);
    s.backend = raw;
    return true;
  }

  void destroy_backend(ProxyBackend& b) {
    close(b.fd);
    backends.erase(&b);
  }

  // A backend connection with nothing in flight (its response read whole, or idle in the
  // pool) closes with a reset: no TIME-WAIT pinning one of the ports to its endpoint.
  void retire_backend(ProxyBackend& b) {
    close_without_time_wait(b.fd);
    backends.erase(&b);
  }

  void drop_backend(ProxyBackend& b) {
    if (b.owner && b.owner->backend == &b) b.owner->backend = nullptr;
    destroy_backend(b);
  }

  void release_to_pool(ProxyBackend& b) {
    auto& idle = pool[b.pool_key];
    if (idle.size() >= limits.pool_max_idle) return retire_backend(b);
    b.owner = nullptr;
    b.in.clear();
    b.deadline = now + std::chrono::milliseconds(limits.pool_idle_timeout_ms);
    idle.push_back(&b);
  }

  void forget_pooled(ProxyBackend& b) {
    auto it = pool.find(b.pool_key);
    if (it != pool.end()) std::erase(it->second, &b);
    retire_backend(b);
  }

  bool finish_connect(ProxyBackend& b) {
    if (!b.connecting) return true;
    if (!b.writable && !b.eof) return false;
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(b.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      b.eof = true;
      return false;
    }
    b.connecting = false;
    return true;
  }

  // The endpoint failed before answering: retry a body-less request once on a fresh
  // connection when the failed one was reused (it may have been closed under us), else 502.
  void backend_failed(ProxySession& s, const std::string& why) {
    ProxyBackend& b = *s.backend;
    const bool retry = b.reused && !b.answered && !s.retried && !s.retry_head.empty();
    drop_backend(b);
    if (retry) {
      s.retried = true;
      if (attach_backend(s, /*fresh_only=*/true)) {
        s.backend->out = s.retry_head;
        request_sent(s);
        return;
      }
    }
    if (s.head_answered) return abort_session(s);
    answer_and_close(s, 502, why);
  }

  // Why a backend connection failed: its TLS handshake's reason when that is what failed.
  static std::string backend_failure(const ProxyBackend& b, const char* otherwise) {
    if (b.tls_io.failure.empty()) return otherwise;
    return "TLS with the endpoint failed (" + b.tls_io.failure + ")";
  }

  bool handle_backend(ProxySession& s) {
    if (!s.backend) return false;
    ProxyBackend& b = *s.backend;
    bool progress = false;
    if (b.connecting && !finish_connect(b)) {
      if (b.eof) {
        backend_failed(s, "cannot connect to the endpoint");
        return true;
      }
      return false;
    }
    if (!write_stream(b.fd, b.tls_io, TlsSide::backend, b.out, b.writable, progress)) {
      backend_failed(s, backend_failure(b, "the endpoint closed the connection"));
      return true;
    }
    if (read_stream(b.fd, b.tls_io, TlsSide::backend, b.in, b.readable, b.eof)) {
      progress = true;
      b.answered = b.answered || !b.in.empty();
    }
    if (!b.tls_io.failure.empty()) {
      backend_failed(s, backend_failure(b, ""));
      return true;
    }
    return handle_response(s) || progress;
  }

  bool handle_response(ProxySession& s) {
    ProxyBackend& b = *s.backend;
    bool progress = false;
    while (s.backend && s.phase == Phase::request) {
      HttpParser& resp = s.response;
      if (resp.state() == HttpParser::State::head) {
        if (b.in.empty()) break;
        std::string unused;
        const size_t used = resp.feed(b.in, unused);
        if (resp.state() == HttpParser::State::failed) {
          drop_backend(b);
          answer_and_close(s, 502, "malformed response: " + resp.fault().reason);
          return true;
        }
        if (resp.state() == HttpParser::State::head) break;
        b.in.erase(0, used);
        progress = true;
        const MessageHead& h = resp.head();
        if (h.status < 200) {  // interim (100 Continue): forward it, the final one follows
          s.out += client_response_head(h, true, s.request.head().minor);
          resp.reset();
          if (s.request.head().method == "HEAD") resp.expect_no_body();
          continue;
        }
        s.keep = s.keep && h.framing != Framing::until_close;
        s.out += client_response_head(h, s.keep, s.request.head().minor);
        s.head_answered = true;
        s.deadline = now + std::chrono::milliseconds(limits.body_idle_timeout_ms);
        if (resp.state() == HttpParser::State::done) return finish_exchange(s), true;
        continue;
      }
      if (resp.state() == HttpParser::State::body) {
        if (b.in.empty() && b.eof) {
          resp.finish(s.out);
          if (resp.state() == HttpParser::State::done) return finish_exchange(s), true;
          abort_session(s);
          return true;
        }
        if (b.in.empty() || s.out.size() >= kStreamBufferBytes) break;
        const size_t room = kStreamBufferBytes - s.out.size();
        const size_t used =
            resp.feed(std::string_view(b.in.data(), std::min(room, b.in.size())), s.out);
        if (resp.state() == HttpParser::State::failed) {
          abort_session(s);
          return true;
        }
        b.in.erase(0, used);
        progress = progress || used > 0;
        s.deadline = now + std::chrono::milliseconds(limits.body_idle_timeout_ms);
        if (resp.state() == HttpParser::State::done) return finish_exchange(s), true;
        continue;
      }
      break;
    }
    if (s.backend && b.eof && b.in.empty() && s.response.state() == HttpParser::State::head) {
      backend_failed(s, "the endpoint closed the connection without a response");
      return true;
    }
    return progress;
  }

  void finish_exchange(ProxySession& s) {
    ProxyBackend& b = *s.backend;
    const MessageHead& resp = s.response.head();
    s.rule->stats->count_response(resp.status);
    s.rule->stats->observe_latency(std::chrono::duration<double>(now - s.started).count());
    end_balance(s);
    const bool request_done = s.request.state() == HttpParser::State::done;
    // Never reused after Connection: close, HTTP/1.0 without keep-alive, a body not sent whole,
    // a close-delimited response, stray bytes, or --reuse=never.
    const bool reusable = resp.keep_alive && request_done && !b.eof && b.in.empty() &&
                          b.out.empty() && s.request.head().minor == 1 &&
                          s.rule->service.reuse != model::Reuse::never;
    s.backend = nullptr;
    if (reusable) {
      release_to_pool(b);
    } else {
      retire_backend(b);
    }
    ++s.served;
    if (!request_done) s.keep = false;  // the rest of its body was never read
    s.rule = nullptr;
    s.config.reset();
    if (!s.keep) {
      s.phase = Phase::closing;
      s.deadline = now + std::chrono::seconds(2);
      return;
    }
    s.request.reset();
    s.phase = Phase::idle;
    s.deadline = now + std::chrono::milliseconds(limits.keepalive_timeout_ms);
  }

  // --- the per-connection pump -----------------------------------------------------------

  void pump(ProxySession& s) {
    for (int round = 0; round < 256 && !s.dead; ++round) {
      bool progress = read_client(s);
      progress = handle_client_input(s) || progress;
      if (!s.dead) progress = handle_backend(s) || progress;
      if (s.dead) break;
      if (!write_client(s, progress)) {
        close_session(s);
        break;
      }
      if (s.phase == Phase::closing && s.out.empty()) {
        if (s.tls_io.ssl && !s.tls_closed && SSL_is_init_finished(s.tls_io.ssl)) {
          s.tls_closed = true;
          SSL_shutdown(s.tls_io.ssl);  // close_notify: the client knows the response was whole
          ERR_clear_error();
        }
        // Once: every call takes the socket lock and wakes its waiters, and a closing
        // connection is pumped again at each ACK (a profile of new connections/s showed
        // repeated shutdowns at a quarter of the proxy's CPU).
        if (!s.write_shut) shutdown(s.fd, SHUT_WR);
        s.write_shut = true;
        if (s.eof) close_session(s);
      }
      if (s.eof && !s.dead && s.phase == Phase::idle && s.in.empty()) close_session(s);
      if (s.eof && !s.dead && s.phase == Phase::request &&
          s.request.state() != HttpParser::State::done) {
        // Closed in the middle of a request: nothing to answer it on.
        close_session(s);
      }
      if (!progress) break;
    }
  }

  // A TLS session may need to read before it can write (handshake records): input may
  // unblock a write, and room to write may unblock a read that wanted to write first.
  static void note_tls_events(TlsChannel& io, uint32_t events, bool& readable, bool& writable) {
    if (!io.ssl) return;
    if (events & EPOLLIN) writable = true;
    if (io.want_write && (events & EPOLLOUT)) {
      io.want_write = false;
      readable = true;
    }
  }

  void on_backend_event(ProxyBackend& b, uint32_t events) {
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) b.readable = true;
    if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) b.writable = true;
    // (Not while connecting: there, writable is what says the connection is made.)
    if (!b.connecting) note_tls_events(b.tls_io, events, b.readable, b.writable);
    if (!b.owner) {  // idle in the pool: anything from the endpoint now is a close
      if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) forget_pooled(b);
      return;
    }
    pump(*b.owner);
  }

  void on_client_event(ProxySession& s, uint32_t events) {
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) s.readable = true;
    if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) s.writable = true;
    note_tls_events(s.tls_io, events, s.readable, s.writable);
    pump(s);
  }

  // --- deadlines -------------------------------------------------------------------------

  void on_deadline(ProxySession& s) {
    if (s.phase == Phase::idle || s.phase == Phase::closing) return close_session(s);
    if (s.request.state() == HttpParser::State::head) {
      return answer_and_close(
          s, 408,
          "request head not received within " + std::to_string(limits.header_timeout_ms) + " ms");
    }
    if (s.head_answered) return abort_session(s);
    if (s.request.state() == HttpParser::State::body)
      return answer_and_close(s, 408, "request body stalled");
    answer_and_close(s, 504, "the endpoint did not answer in time");
  }

  void sweep() {
    std::vector<ProxySession*> due;
    for (auto& [raw, s] : sessions) {
      if (s->dead) continue;
      if (s->backend && s->backend->connecting && now >= s->backend->deadline) {
        drop_backend(*s->backend);
        answer_and_close(*s, 502, "the endpoint did not accept the connection in time");
        due.push_back(raw);  // flush the answer
        continue;
      }
      if (now >= s->deadline) {
        on_deadline(*s);
        due.push_back(raw);
      }
    }
    for (ProxySession* s : due) {
      if (!s->dead) pump(*s);
    }
    std::vector<ProxyBackend*> stale;
    for (auto& [key, idle] : pool) {
      for (ProxyBackend* b : idle) {
        if (now >= b->deadline) stale.push_back(b);
      }
    }
    for (ProxyBackend* b : stale) forget_pooled(*b);
  }

  void run(const std::atomic<bool>& stop) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = &listener_tag;
    epoll_ctl(epfd, EPOLL_CTL_ADD, listen_fd, &ev);
    Instant last_sweep = SteadyClock::now();
    std::vector<epoll_event> events(256);
    while (!stop.load(std::memory_order_relaxed)) {
      const int n = epoll_wait(epfd, events.data(), static_cast<int>(events.size()), 100);
      now = SteadyClock::now();
      refresh_config();
      for (int i = 0; i < n; ++i) {
        auto* tag = static_cast<FdTag*>(events[i].data.ptr);
        if (tag->kind == FdKind::listener) {
          accept_clients();
        } else if (tag->kind == FdKind::client) {
          auto* s = static_cast<ProxySession*>(tag->owner);
          if (!s->dead) on_client_event(*s, events[i].events);
        } else {
          // A backend destroyed earlier in this batch is no longer in the map.
          auto* b = static_cast<ProxyBackend*>(tag->owner);
          if (backends.contains(b)) on_backend_event(*b, events[i].events);
        }
      }
      reap();  // after the batch: a later event of it may name a session closed by an earlier one
      if (ms_since(last_sweep, now) >= 100) {
        last_sweep = now;
        sweep();
        reap();
      }
    }
  }
};

Worker::Worker(int listen_fd, const ConfigStore& store, StatsRegistry& registry,
               std::atomic<uint32_t>& connections)
    : loop_(std::make_unique<Loop>(listen_fd, store, registry, connections)) {
  loop_->epfd = epoll_create1(EPOLL_CLOEXEC);
  loop_->refresh_config();
}

Worker::~Worker() {
  for (auto& [raw, s] : loop_->sessions) close(s->fd);
  for (auto& [raw, b] : loop_->backends) close(b->fd);
  close(loop_->epfd);
}

void Worker::run(const std::atomic<bool>& stop) { loop_->run(stop); }

}  // namespace xlb::proxy
