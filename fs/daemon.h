// RunDaemon: one mount's whole life, in one call.
//
// It checks the paths (a store inside the mountpoint is refused), clears a
// dead mount a crash left ("Transport endpoint is not connected"), opens the
// store (a second daemon on it is refused by the store's lock), mounts,
// signals readiness (--notify-fd, and systemd's NOTIFY_SOCKET), serves until
// SIGTERM/SIGINT/SIGHUP or an unmount, then unmounts and closes the store.
// Every resource (store, Filesystem, session, mount, signal handlers, the
// invalidator and maintenance threads) is a local of that call, released by
// RAII on every path.
// Thread-safety: called once, from main.
#pragma once

#include "fs/options.h"

namespace scopefs::fs {

// Returns the process exit status: 0 after a clean unmount, 1 on failure.
int RunDaemon(const Config& config);

}  // namespace scopefs::fs
