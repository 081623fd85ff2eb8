// A single-threaded epoll loop with a timer heap and a cross-thread wake-up (eventfd).
// Everything except wake() must be called from the thread that calls run_once().
#pragma once

#include <sys/epoll.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <queue>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/result.h"
#include "health/unique_fd.h"

namespace xlb::health {

class EventLoop {
 public:
  using Clock = std::chrono::steady_clock;
  using IoHandler = std::function<void(uint32_t events)>;
  using TimerHandler = std::function<void()>;
  // Identifies a watch or a timer. Never reused, so a stale epoll event for a descriptor that was
  // closed (and whose number was reused) within one batch is dropped, not misdelivered.
  using Token = uint64_t;

  static Result<std::unique_ptr<EventLoop>> create();

  // Calls `handler` with the epoll events whenever `fd` is ready for `events` (level triggered).
  Result<Token> watch(int fd, uint32_t events, IoHandler handler);
  Result<void> modify(Token watch, uint32_t events);
  void unwatch(Token watch);  // before closing the descriptor

  Token add_timer(Clock::time_point when, TimerHandler handler);
  void cancel_timer(Token timer);  // no-op if it already ran

  // Waits for I/O, a due timer or wake(), at most `max_wait`, then runs the handlers that are due.
  void run_once(Clock::duration max_wait);
  // Makes a blocked run_once() return. Safe from any thread.
  void wake();

  size_t watch_count() const { return watches_.size(); }
  size_t timer_count() const { return timers_.size(); }

 private:
  struct Watch {
    int fd;
    std::shared_ptr<IoHandler> handler;  // shared: a handler may unwatch itself while running
  };
  struct Due {
    Clock::time_point when;
    Token token;
    bool operator>(const Due& o) const { return when > o.when; }
  };

  EventLoop(UniqueFd epoll, UniqueFd wake);
  int wait_ms(Clock::duration max_wait) const;
  void run_due_timers();

  UniqueFd epoll_;
  UniqueFd wake_;
  Token next_token_ = 1;  // 0 is the wake eventfd
  std::unordered_map<Token, Watch> watches_;
  // Cancelled timers leave their heap entry behind; it is skipped when it surfaces.
  std::priority_queue<Due, std::vector<Due>, std::greater<>> heap_;
  std::unordered_map<Token, TimerHandler> timers_;
};

// Owns a watch or a timer and releases it on destruction, so neither outlives the object its
// handler points into. Declare a watch after the UniqueFd it watches so it is released first.
template <void (EventLoop::*Release)(EventLoop::Token)>
class LoopHandle {
 public:
  LoopHandle() = default;
  LoopHandle(EventLoop& loop, EventLoop::Token token) : loop_(&loop), token_(token) {}
  LoopHandle(LoopHandle&& o) noexcept : loop_(std::exchange(o.loop_, nullptr)), token_(o.token_) {}
  LoopHandle& operator=(LoopHandle&& o) noexcept {
    if (this != &o) {
      reset();
      loop_ = std::exchange(o.loop_, nullptr);
      token_ = o.token_;
    }
    return *this;
  }
  ~LoopHandle() { reset(); }

  EventLoop::Token token() const { return token_; }
  void reset() {
    if (loop_) (loop_->*Release)(token_);
    loop_ = nullptr;
  }

 private:
  EventLoop* loop_ = nullptr;
  EventLoop::Token token_ = 0;
};

using FdWatch = LoopHandle<&EventLoop::unwatch>;
using ScopedTimer = LoopHandle<&EventLoop::cancel_timer>;

}  // namespace xlb::health
