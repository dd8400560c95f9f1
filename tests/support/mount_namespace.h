// The private mount namespace every mount a test makes lives in.
//
// ctest ends a test that runs past its timeout by sending SIGKILL to the test
// and to every process below it: the daemon, and the fusermount3 that libfuse
// keeps as the daemon's child to honour `auto_unmount`. Nobody is left to
// unmount, so a mount in the host's namespace would stay behind, dead
// ("Transport endpoint is not connected"). In a namespace of the test
// process's own, the kernel drops every mount when the last process in the
// namespace exits, however it exits.
#pragma once

#include <string>

namespace scopefs::testing {

// Moves the calling process into a mount namespace of its own, with `/`
// private so that nothing mounted here propagates to the host. Once per
// process: later calls return the first call's result. Empty on success,
// otherwise what failed (it needs CAP_SYS_ADMIN, so root).
// REQUIRES: called from the thread that forks the daemon and the shells (the
// namespace belongs to the calling thread and to the children it forks).
std::string EnterPrivateMountNamespace();

}  // namespace scopefs::testing
