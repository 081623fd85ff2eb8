// What xlbd tells its service manager (systemd, Type=notify): ready once the API is listening
// and the datapath attached, and stopping. Does nothing when not started by one.
#pragma once

#include <string>

namespace xlb::daemon {

// READY=1 with a one-line status (shown by `systemctl status xlbd`).
void notify_service_ready(const std::string& status);
// STOPPING=1: a restart is under way, not a failure.
void notify_service_stopping();

}  // namespace xlb::daemon
