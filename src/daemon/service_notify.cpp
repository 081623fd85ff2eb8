#include "daemon/service_notify.h"

#include <systemd/sd-daemon.h>

namespace xlb::daemon {

void notify_service_ready(const std::string& status) {
  // Without $NOTIFY_SOCKET (not under systemd) sd_notify does nothing and returns 0.
  sd_notify(0, ("READY=1\nSTATUS=" + status).c_str());
}

void notify_service_stopping() { sd_notify(0, "STOPPING=1"); }

}  // namespace xlb::daemon
