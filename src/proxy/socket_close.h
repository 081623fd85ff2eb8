// How xlb-proxy closes a backend connection whose exchange is over.
#pragma once

namespace xlb::proxy {

// Closes a TCP socket with a reset (SO_LINGER 0) instead of a FIN: the proxy's side keeps no
// TIME-WAIT. Only for a connection with nothing in flight either way (its response read whole,
// or idle in the pool): each TIME-WAIT pins an ephemeral port to the endpoint for 60 s, and a
// proxy opening a backend connection per client connection runs out of them (connect() then
// spends its CPU scanning the port range, or fails with EADDRNOTAVAIL). HAProxy does the same
// for the server connections it closes (its "linger risk").
void close_without_time_wait(int fd);

}  // namespace xlb::proxy
