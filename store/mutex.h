// Mutex, MutexLock, CondVar: std::mutex and friends with clang's thread-safety
// annotations, so the compiler checks lock discipline.
//
// Under clang with -Wthread-safety (tools/test.sh --thread-safety, the
// SCOPEFS_THREAD_SAFETY build), a field marked GUARDED_BY(mu_) may only be
// touched with mu_ held, a function marked REQUIRES(mu_) only called with it,
// EXCLUDES(mu_) only without it, and two mutexes declared ACQUIRED_BEFORE /
// ACQUIRED_AFTER each other only taken in that order. Other compilers ignore
// the annotations, and the types behave exactly like std::mutex.
//
// The lock order of the whole store is written once, at Store::ns_mu_ (store.h).
//
// Thread-safety: Mutex and CondVar are thread-safe; a MutexLock belongs to the
// thread that made it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

#if defined(__clang__)
#define SCOPEFS_TSA(x) __attribute__((x))
#else
#define SCOPEFS_TSA(x)
#endif

#define CAPABILITY(name) SCOPEFS_TSA(capability(name))
#define SCOPED_CAPABILITY SCOPEFS_TSA(scoped_lockable)
#define GUARDED_BY(mu) SCOPEFS_TSA(guarded_by(mu))
#define PT_GUARDED_BY(mu) SCOPEFS_TSA(pt_guarded_by(mu))
#define ACQUIRED_BEFORE(...) SCOPEFS_TSA(acquired_before(__VA_ARGS__))
#define ACQUIRED_AFTER(...) SCOPEFS_TSA(acquired_after(__VA_ARGS__))
#define REQUIRES(...) SCOPEFS_TSA(requires_capability(__VA_ARGS__))
#define ACQUIRE(...) SCOPEFS_TSA(acquire_capability(__VA_ARGS__))
#define RELEASE(...) SCOPEFS_TSA(release_capability(__VA_ARGS__))
#define EXCLUDES(...) SCOPEFS_TSA(locks_excluded(__VA_ARGS__))
#define RETURN_CAPABILITY(mu) SCOPEFS_TSA(lock_returned(mu))
#define NO_THREAD_SAFETY_ANALYSIS SCOPEFS_TSA(no_thread_safety_analysis)

namespace scopefs::store {

class CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ACQUIRE() { mu_.lock(); }
  void Unlock() RELEASE() { mu_.unlock(); }

 private:
  friend class CondVar;
  std::mutex mu_;
};

// Holds a Mutex for its scope.
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ACQUIRE(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() RELEASE() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

// A condition variable waited on with a Mutex held.
class CondVar {
 public:
  // Releases `mu` while it waits, and holds it again when `done()` is true.
  // REQUIRES: mu held.
  template <typename Predicate>
  void Wait(Mutex* mu, Predicate done) REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    cv_.wait(lock, done);
    lock.release();  // still held: the caller's MutexLock releases it
  }
  // The same, waiting at most `timeout`; returns done().
  template <typename Rep, typename Period, typename Predicate>
  bool WaitFor(Mutex* mu, std::chrono::duration<Rep, Period> timeout, Predicate done) REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    const bool result = cv_.wait_for(lock, timeout, done);
    lock.release();
    return result;
  }
  void NotifyAll() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

}  // namespace scopefs::store
