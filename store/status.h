// Status and Result<T>: how every fallible store call reports failure.
//
// A Status is OK or carries a Code, the errno that caused it (or the errno the
// code stands for) and a one-line message fit for a log or a `.status` file.
// fs/ maps a Status to an errno in exactly one place; store/ never chooses an
// errno for FUSE. Result<T> holds a value or a non-OK Status, never both.
//
// Thread-safety: values; safe to copy and move between threads.
#pragma once

#include <cerrno>
#include <exception>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace scopefs::store {

class [[nodiscard]] Status {
 public:
  enum class Code {
    kOk,
    kNotFound,      // ENOENT
    kExists,        // EEXIST
    kInvalid,       // EINVAL: the caller's input is wrong
    kCorruption,    // EIO: stored bytes fail their checks
    kNoSpace,       // ENOSPC
    kTooBig,        // EFBIG
    kBusy,          // EBUSY
    kPermission,    // EPERM: not allowed for this kind of object
    kAccess,        // EACCES: committed scopes are immutable; the caller lacks the right
    kStale,         // ESTALE: the object a handle or inode stood for is gone
    kNotDir,        // ENOTDIR
    kIsDir,         // EISDIR
    kNotEmpty,      // ENOTEMPTY
    kCrossDevice,   // EXDEV: files cannot move between scopes
    kBadHandle,     // EBADF: the handle is not open for that
    kNotSupported,  // EOPNOTSUPP
    kIOError,       // the errno of a failed syscall
  };

  Status() = default;  // OK

  static Status Ok() { return Status(); }
  static Status NotFound(std::string msg) { return {Code::kNotFound, ENOENT, std::move(msg)}; }
  static Status Exists(std::string msg) { return {Code::kExists, EEXIST, std::move(msg)}; }
  static Status Invalid(std::string msg) { return {Code::kInvalid, EINVAL, std::move(msg)}; }
  static Status Corruption(std::string msg) { return {Code::kCorruption, EIO, std::move(msg)}; }
  static Status NoSpace(std::string msg) { return {Code::kNoSpace, ENOSPC, std::move(msg)}; }
  static Status TooBig(std::string msg) { return {Code::kTooBig, EFBIG, std::move(msg)}; }
  static Status Busy(std::string msg) { return {Code::kBusy, EBUSY, std::move(msg)}; }
  static Status Permission(std::string msg) { return {Code::kPermission, EPERM, std::move(msg)}; }
  static Status Access(std::string msg) { return {Code::kAccess, EACCES, std::move(msg)}; }
  static Status Stale(std::string msg) { return {Code::kStale, ESTALE, std::move(msg)}; }
  static Status NotDir(std::string msg) { return {Code::kNotDir, ENOTDIR, std::move(msg)}; }
  static Status IsDir(std::string msg) { return {Code::kIsDir, EISDIR, std::move(msg)}; }
  static Status NotEmpty(std::string msg) { return {Code::kNotEmpty, ENOTEMPTY, std::move(msg)}; }
  static Status CrossDevice(std::string msg) { return {Code::kCrossDevice, EXDEV, std::move(msg)}; }
  static Status BadHandle(std::string msg) { return {Code::kBadHandle, EBADF, std::move(msg)}; }
  static Status NotSupported(std::string msg) {
    return {Code::kNotSupported, EOPNOTSUPP, std::move(msg)};
  }
  // From a failed syscall: keeps `err`. ENOENT, EEXIST, ENOSPC, EFBIG and the
  // errnos of kStale..kNotSupported map to their codes; EINVAL, EPERM, EACCES and
  // EBUSY from a syscall stay kIOError: they are the store's failure, not a refusal.
  static Status FromErrno(int err, std::string_view context);

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  int err() const { return err_; }  // 0 when ok()
  const std::string& message() const { return message_; }
  std::string ToString() const;  // "OK" or "<code name>: <message>"

  // The same status with "context: " put before the message.
  Status Annotate(std::string_view context) const;

 private:
  Status(Code code, int err, std::string msg) : code_(code), err_(err), message_(std::move(msg)) {}

  Code code_ = Code::kOk;
  int err_ = 0;
  std::string message_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT: implicit on purpose, like StatusOr
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    if (std::get<Status>(v_).ok()) v_ = Status::Invalid("internal: Result built from OK status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  // OK when ok(), the error otherwise.
  Status status() const { return ok() ? Status() : std::get<Status>(v_); }

  // REQUIRES: ok()
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

// Calls `task` and turns what it throws into a Status (ENOMEM for
// std::bad_alloc, EIO for another std::exception): for tasks on threads of
// their own, where an exception would end the process.
template <typename Task>
Status CallCatching(Task&& task) {
  try {
    return std::forward<Task>(task)();
  } catch (const std::bad_alloc&) {
    return Status::FromErrno(ENOMEM, "out of memory");
  } catch (const std::exception& e) {
    return Status::FromErrno(EIO, e.what());
  }
}

}  // namespace scopefs::store

#define SCOPEFS_CONCAT_INNER(a, b) a##b
#define SCOPEFS_CONCAT(a, b) SCOPEFS_CONCAT_INNER(a, b)

// Returns the Status of `expr` from the enclosing function if it is not OK.
#define RETURN_IF_ERROR(expr)                          \
  do {                                                 \
    ::scopefs::store::Status scopefs_status_ = (expr); \
    if (!scopefs_status_.ok()) return scopefs_status_; \
  } while (0)

// `ASSIGN_OR_RETURN(auto x, ResultExpr())`: declares x from the value or returns the error.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(SCOPEFS_CONCAT(scopefs_result_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()
