// Env: the one narrow seam through which the store touches the filesystem.
//
// Every byte the store reads or writes, every fsync, rename and unlink goes
// through an Env, so tests can swap in an in-memory filesystem that models
// what survives a power loss, or one that fails the Nth call (tests/support).
// PosixEnv() is the real one. Paths are absolute or relative to the process's
// working directory; the store builds them all in layout.h.
//
// Thread-safety: Env implementations are thread-safe. A File may be read with
// ReadAt from many threads at once; writes to one File are serialized by the caller.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "store/status.h"

namespace scopefs::store {

class File {
 public:
  virtual ~File() = default;

  // Reads up to `n` bytes at `offset` into `buf`; returns fewer only at end of file.
  virtual Result<size_t> ReadAt(uint64_t offset, char* buf, size_t n) const = 0;
  // Writes all `n` bytes at `offset` (a short write is retried, never returned).
  virtual Status WriteAt(uint64_t offset, const char* data, size_t n) = 0;
  virtual Status Truncate(uint64_t size) = 0;
  // Makes the file's data durable (fsync). Its name is durable only after SyncDir.
  virtual Status Sync() = 0;
  // A hint: starts writing [offset, offset + n) to disk now, without waiting,
  // so that a later Sync of a large file has less left to wait for. Durable
  // only after Sync, which also reports any error of this writing.
  virtual void StartWriteback(uint64_t /*offset*/, uint64_t /*n*/) {}
  virtual Result<uint64_t> Size() const = 0;
  // The OS descriptor, for zero-copy replies; -1 when the file is not an OS file.
  virtual int fd() const { return -1; }
};

// Holds an exclusive lock on a file until destroyed.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

enum class OpenMode {
  kRead,             // O_RDONLY; NotFound if missing
  kReadWrite,        // O_RDWR; NotFound if missing
  kCreate,           // O_RDWR|O_CREAT|O_TRUNC
  kCreateExclusive,  // O_RDWR|O_CREAT|O_EXCL; Exists if present
};

enum class RenameMode {
  kReplace,    // rename(2): replaces a file or an empty directory
  kNoReplace,  // renameat2(RENAME_NOREPLACE): Exists if `to` is present
};

struct FileInfo {
  bool is_dir = false;
  uint64_t size = 0;
};

class Env {
 public:
  virtual ~Env() = default;

  virtual Result<std::unique_ptr<File>> Open(const std::string& path, OpenMode mode) = 0;
  virtual Result<FileInfo> Stat(const std::string& path) = 0;
  // Names in the directory, without "." and "..", in no particular order.
  virtual Result<std::vector<std::string>> ListDir(const std::string& path) = 0;
  virtual Status MakeDir(const std::string& path) = 0;    // Exists if present
  virtual Status RemoveDir(const std::string& path) = 0;  // the directory must be empty
  virtual Status Unlink(const std::string& path) = 0;
  virtual Status Rename(const std::string& from, const std::string& to, RenameMode mode) = 0;
  // Makes the directory's entries (creations, renames, unlinks) durable.
  virtual Status SyncDir(const std::string& path) = 0;
  // Takes an exclusive advisory lock on `path` (created if missing). Busy if another
  // process or another FileLock holds it; the message names the holder's pid if known.
  virtual Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) = 0;
};

// The real filesystem. Stateless; lives for the whole process.
Env* PosixEnv();

// Helpers built only on the Env interface.

// Removes `path` and everything below it; OK if it does not exist.
Status RemoveAll(Env* env, const std::string& path);
// Reads a whole file; TooBig if it is larger than `max_size`.
Result<std::string> ReadFileToString(Env* env, const std::string& path, uint64_t max_size);
// Reads exactly `n` bytes at `offset`; Corruption("<what>: short read") if the file ends first.
Status ReadExactly(const File& file, uint64_t offset, char* buf, size_t n, const std::string& what);

}  // namespace scopefs::store
