#include "health/event_loop.h"

#include <sys/eventfd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace xlb::health {
namespace {

constexpr EventLoop::Token kWakeToken = 0;

Error sys_error(const char* what) {
  return Error{ErrorCode::system, std::string(what) + " failed: " + std::strerror(errno), ""};
}

}  // namespace

Result<std::unique_ptr<EventLoop>> EventLoop::create() {
  UniqueFd epoll(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll) return sys_error("epoll_create1");
  UniqueFd wake(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!wake) return sys_error("eventfd");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeToken;
  if (::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, wake.get(), &ev) != 0) return sys_error("epoll_ctl");
  return std::unique_ptr<EventLoop>(new EventLoop(std::move(epoll), std::move(wake)));
}

EventLoop::EventLoop(UniqueFd epoll, UniqueFd wake)
    : epoll_(std::move(epoll)), wake_(std::move(wake)) {}

Result<EventLoop::Token> EventLoop::watch(int fd, uint32_t events, IoHandler handler) {
  Token token = next_token_++;
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = token;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) return sys_error("epoll_ctl add");
  watches_.emplace(token, Watch{fd, std::make_shared<IoHandler>(std::move(handler))});
  return token;
}

Result<void> EventLoop::modify(Token watch, uint32_t events) {
  auto it = watches_.find(watch);
  if (it == watches_.end()) return Error{ErrorCode::not_found, "no such watch", ""};
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = watch;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, it->second.fd, &ev) != 0) {
    return sys_error("epoll_ctl mod");
  }
  return Ok{};
}

void EventLoop::unwatch(Token watch) {
  auto it = watches_.find(watch);
  if (it == watches_.end()) return;
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, it->second.fd, nullptr);
  watches_.erase(it);
}

EventLoop::Token EventLoop::add_timer(Clock::time_point when, TimerHandler handler) {
  Token token = next_token_++;
  heap_.push(Due{when, token});
  timers_.emplace(token, std::move(handler));
  return token;
}

void EventLoop::cancel_timer(Token timer) { timers_.erase(timer); }

void EventLoop::wake() {
  uint64_t one = 1;
  // A full counter (EAGAIN) still leaves the eventfd readable, which is all a wake-up needs.
  [[maybe_unused]] auto n = ::write(wake_.get(), &one, sizeof one);
}

int EventLoop::wait_ms(Clock::duration max_wait) const {
  auto wait = max_wait;
  if (!heap_.empty()) wait = std::min(wait, heap_.top().when - Clock::now());
  if (wait <= Clock::duration::zero()) return 0;
  // Round up: waking a little late is harmless, waking early spins until the deadline.
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(wait).count();
  return static_cast<int>(std::min<int64_t>(ms, 60'000));
}

void EventLoop::run_due_timers() {
  auto now = Clock::now();
  while (!heap_.empty() && heap_.top().when <= now) {
    Token token = heap_.top().token;
    heap_.pop();
    auto it = timers_.find(token);
    if (it == timers_.end()) continue;  // cancelled
    TimerHandler handler = std::move(it->second);
    timers_.erase(it);
    handler();
  }
  // Drop cancelled entries at the top so wait_ms() does not wake for them.
  while (!heap_.empty() && !timers_.contains(heap_.top().token)) heap_.pop();
}

void EventLoop::run_once(Clock::duration max_wait) {
  std::array<epoll_event, 256> events;
  int n =
      ::epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), wait_ms(max_wait));
  for (int i = 0; i < n; ++i) {
    Token token = events[i].data.u64;
    if (token == kWakeToken) {
      uint64_t count;
      [[maybe_unused]] auto r = ::read(wake_.get(), &count, sizeof count);
      continue;
    }
    auto it = watches_.find(token);
    if (it == watches_.end()) continue;  // unwatched by an earlier handler in this batch
    auto handler = it->second.handler;   // keeps the handler alive if it unwatches itself
    (*handler)(events[i].events);
  }
  run_due_timers();
}

}  // namespace xlb::health
