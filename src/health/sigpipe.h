// Blocks SIGPIPE on the calling thread while in scope. OpenSSL writes to sockets with write(),
// which raises SIGPIPE when a backend has reset the connection; blocked, the write fails with
// EPIPE instead of killing the process.
#pragma once

#include <signal.h>

#include <ctime>

namespace xlb::health {

class SigpipeBlocked {
 public:
  SigpipeBlocked() {
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, &saved_);
  }
  ~SigpipeBlocked() {
    if (sigismember(&saved_, SIGPIPE)) return;  // blocked before us: leave it as it was
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    timespec zero{};
    while (sigtimedwait(&pipe, nullptr, &zero) > 0) {
    }  // consume what was raised in scope, so unblocking does not deliver it
    pthread_sigmask(SIG_SETMASK, &saved_, nullptr);
  }
  SigpipeBlocked(const SigpipeBlocked&) = delete;
  SigpipeBlocked& operator=(const SigpipeBlocked&) = delete;

 private:
  sigset_t saved_;
};

}  // namespace xlb::health
