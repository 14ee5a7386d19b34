// systemd's readiness protocol (sd_notify(3)) without libsystemd.
#pragma once

namespace muster::app {

// Sends `state` ("READY=1", "RELOADING=1", "STOPPING=1") to $NOTIFY_SOCKET; nothing when the
// variable is unset or the socket cannot be reached.
void sd_notify(const char* state);

}  // namespace muster::app
