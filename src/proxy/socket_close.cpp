#include "proxy/socket_close.h"

#include <sys/socket.h>
#include <unistd.h>

namespace xlb::proxy {

void close_without_time_wait(int fd) {
  const linger abort_on_close{.l_onoff = 1, .l_linger = 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
  close(fd);
}

}  // namespace xlb::proxy
