// The epoll loop: timers in deadline order, cancellation, fd readiness, self-removal, wake-up.
#include "health/event_loop.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <thread>
#include <vector>

namespace xlb::health {
namespace {

using namespace std::chrono_literals;
using Clock = EventLoop::Clock;

std::unique_ptr<EventLoop> new_loop() {
  auto loop = EventLoop::create();
  EXPECT_TRUE(loop);
  return std::move(*loop);
}

TEST(EventLoop, RunsTimersInDeadlineOrderAndSkipsCancelledOnes) {
  auto loop = new_loop();
  std::vector<int> order;
  auto now = Clock::now();
  loop->add_timer(now + 30ms, [&] { order.push_back(3); });
  loop->add_timer(now + 10ms, [&] { order.push_back(1); });
  auto cancelled = loop->add_timer(now + 20ms, [&] { order.push_back(2); });
  loop->cancel_timer(cancelled);
  while (loop->timer_count() > 0) loop->run_once(1s);
  EXPECT_EQ(order, (std::vector<int>{1, 3}));
  EXPECT_GE(Clock::now() - now, 30ms);
}

TEST(EventLoop, ScopedTimerCancelsWhenDestroyed) {
  auto loop = new_loop();
  bool ran = false;
  {
    ScopedTimer t(*loop, loop->add_timer(Clock::now(), [&] { ran = true; }));
  }
  loop->run_once(10ms);
  EXPECT_FALSE(ran);
}

TEST(EventLoop, CallsTheHandlerOfAReadyDescriptorWhichMayUnwatchItself) {
  auto loop = new_loop();
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  UniqueFd rd(fds[0]), wr(fds[1]);
  int calls = 0;
  FdWatch watch;
  auto token = loop->watch(rd.get(), EPOLLIN, [&](uint32_t events) {
    ++calls;
    EXPECT_TRUE(events & EPOLLIN);
    watch.reset();  // destroys the handler's registration while it runs
  });
  ASSERT_TRUE(token);
  watch = FdWatch(*loop, *token);
  ASSERT_EQ(::write(wr.get(), "x", 1), 1);
  loop->run_once(1s);
  loop->run_once(10ms);  // still readable, but no longer watched
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(loop->watch_count(), 0u);
}

TEST(EventLoop, WakeFromAnotherThreadEndsTheWait) {
  auto loop = new_loop();
  auto start = Clock::now();
  std::thread waker([&] {
    std::this_thread::sleep_for(20ms);
    loop->wake();
  });
  loop->run_once(5s);
  waker.join();
  EXPECT_LT(Clock::now() - start, 2s);
}

}  // namespace
}  // namespace xlb::health
