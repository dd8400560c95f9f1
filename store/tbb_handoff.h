// Happens-before annotations for oneTBB task hand-offs, for ThreadSanitizer.
//
// Debian's libtbb is not built with ThreadSanitizer, so TSan cannot see that
// a task's captured state was written before a worker ran it, nor that a
// task finished before wait() returned: every hand-off looks like a race.
// Call BeforeHandoff() just before giving work to oneTBB (run, parallel_for)
// or finishing a task body, and AfterHandoff() first thing in the task body
// or right after the wait. One shared address keeps it simple; it orders a
// little more than oneTBB does, which only matters in TSan builds. Outside
// ThreadSanitizer both are empty inline functions.
#pragma once

#if defined(__SANITIZE_THREAD__)
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
#endif

namespace scopefs::store {

#if defined(__SANITIZE_THREAD__)
inline char tbb_handoff_token;
inline void BeforeHandoff() { __tsan_release(&tbb_handoff_token); }
inline void AfterHandoff() { __tsan_acquire(&tbb_handoff_token); }
#else
inline void BeforeHandoff() {}
inline void AfterHandoff() {}
#endif

}  // namespace scopefs::store
