// Happens-before annotations for ThreadSanitizer, for orderings it cannot see.
//
// Two libraries order our threads where TSan cannot look: Debian's libtbb is
// not built with TSan (a task's captured state is written before a worker
// runs it; a task finishes before wait() returns), and the kernel orders FUSE
// requests (it sends release only after every read on that file was
// answered). HappensBefore(p) marks "everything so far", HappensAfter(p) on
// another thread "sees it", for the same address p. Outside TSan builds both
// are empty inline functions.
#pragma once

#if defined(__SANITIZE_THREAD__)
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
#endif

namespace scopefs::store {

#if defined(__SANITIZE_THREAD__)
inline void HappensBefore(const void* p) { __tsan_release(const_cast<void*>(p)); }
inline void HappensAfter(const void* p) { __tsan_acquire(const_cast<void*>(p)); }
inline char tbb_handoff_token;
#else
inline void HappensBefore(const void*) {}
inline void HappensAfter(const void*) {}
#endif

// Around every hand-off of work to oneTBB: BeforeHandoff() after the task
// holds its captures (task_group::defer) and at the end of its body,
// AfterHandoff() first in the body and after wait(). One shared address keeps
// it simple; it orders a little more than oneTBB does, only in TSan builds.
inline void BeforeHandoff() {
#if defined(__SANITIZE_THREAD__)
  HappensBefore(&tbb_handoff_token);
#endif
}
inline void AfterHandoff() {
#if defined(__SANITIZE_THREAD__)
  HappensAfter(&tbb_handoff_token);
#endif
}

}  // namespace scopefs::store
