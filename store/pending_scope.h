// PendingScope: a scope being written, file by file, before it is committed.
//
// Its files live raw in pending/<key>/ under the names the user gave. Accepted
// names: nodes.bits, links.bits, mappings.json, mappings.json.gz, meta.json,
// and hidden temporary names (a leading '.', except the reserved ".status"),
// so temp-file-then-rename writers (rsync, editors) work. nodes.idx and
// links.idx (and rsync's temporary names for them) are accepted too, so a
// scope copied out of a mount copies back in, but their bytes are discarded:
// the commit builds the index from the mappings. Anything else is
// Permission (EPERM). Times, mode and owner users set are kept in memory: the
// commit records the file times, so they are shown again afterwards.
//
// Ownership: created and owned by the Store (shared with open handles).
// Thread-safety: thread-safe. mu_ guards the file table and is held for no
// I/O but the one syscall of Create, Unlink or Rename; a file's bytes are
// written under that file's own io_mu_. Lock order: see Store::ns_mu_ (store.h).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "store/chunked_gzip_writer.h"
#include "store/clock.h"
#include "store/env.h"
#include "store/mappings_encoder.h"
#include "store/mutex.h"
#include "store/space_budget.h"
#include "store/status.h"

namespace scopefs::store {

class Scope;

// True for names a pending scope accepts (see above).
bool IsAllowedPendingName(std::string_view name);
// True for the files a commit waits for (temporary names are not).
bool IsScopeFileName(std::string_view name);
// True for the names whose files are encoded as they are written (see
// mappings_encoder.h): mappings.json, and the hidden temporary name rsync
// gives it (".mappings.json.XXXXXX").
bool IsEncodedName(std::string_view name);
// True for the names whose bytes are discarded: the index files, and rsync's
// temporary names for them.
bool IsDiscardedName(std::string_view name);

// How pending mappings are encoded as written.
struct MappingsEncoding {
  std::string dir;  // where the compressed files go (the store's encoding/); empty: never
  ChunkedGzipOptions codec;
  bool build_index = true;  // collect the entries for nodes.idx and links.idx too
};

struct FileAttrs {
  uint64_t size = 0;
  uint32_t mode = 0644;  // permission bits only
  uint32_t uid = 0;
  uint32_t gid = 0;
  int64_t atime_ns = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;
};

// What setattr asks for; unset fields stay as they are.
struct AttrChange {
  std::optional<uint32_t> mode;
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
  std::optional<int64_t> atime_ns;
  std::optional<int64_t> mtime_ns;
  std::optional<uint64_t> size;
};

// Applies what `change` sets (all but size) to `attrs`; ctime becomes `now_ns`.
void ApplyAttrChange(const AttrChange& change, int64_t now_ns, FileAttrs& attrs);

// One file of a pending scope. Open handles hold it, so writes keep landing in
// the same file across a rename, and after an unlink (as an fd would).
//
// Mappings written front to back are held compressed, by a MappingsEncoder;
// any other file, and mappings written out of order, are held raw (an
// encoded file is decoded at its first write that is not at its end).
// What it holds on disk (with the scratch files of an encoder's index
// builders, until a commit takes them over) counts against the budget for as
// long as it can still hold or write it: an unlinked or replaced file keeps counting until the last
// holder lets go of it (the destructor) or it is closed (Close()).
// Thread-safety: thread-safe; writes are serialized by io_mu_.
class PendingFile {
 public:
  // `budget` (may be null) is asked for room whenever the file grows. With
  // `encoding` (null: never; it must outlive the file), writes from offset 0
  // onwards are encoded into a new file under encoding->dir.
  PendingFile(std::unique_ptr<File> file, FileAttrs attrs, const Clock* clock, uint64_t max_size,
              SpaceBudget* budget, Env* env = nullptr, const MappingsEncoding* encoding = nullptr);
  // Gives the file's bytes back to the budget, unless Close() did.
  ~PendingFile();
  PendingFile(const PendingFile&) = delete;
  PendingFile& operator=(const PendingFile&) = delete;

  // TooBig past the size limit; NoSpace if the cache cannot make room;
  // Access once the file is closed.
  Status Write(uint64_t offset, std::string_view data) EXCLUDES(io_mu_, mu_);
  Status Truncate(uint64_t size) EXCLUDES(io_mu_, mu_);
  FileAttrs attrs() const EXCLUDES(mu_);
  void SetAttrs(const AttrChange& change) EXCLUDES(mu_);  // all but size

  int writers() const EXCLUDES(mu_);
  // True while the file holds encoded bytes.
  bool encoded() const EXCLUDES(io_mu_);

  // For the commit: the mappings as encoded while written, sealed (the last
  // member written and synced); nullopt if the file holds raw bytes, which
  // the commit compresses. Access once closed.
  Result<std::optional<EncodedMappings>> SealEncoded() EXCLUDES(io_mu_, mu_);
  // For the commit of a file it reads raw (all but the mappings): decodes an
  // encoded one. Access once closed.
  Status MakeRaw() EXCLUDES(io_mu_, mu_);

  // The scope was committed or dropped: closes the file now (its name is
  // gone already), so its descriptor and disk space do not wait for the
  // kernel to forget the inode, and gives its bytes back to the budget.
  // Writes after it are Access, so nothing writes uncounted bytes.
  void Close() EXCLUDES(io_mu_);

 private:
  friend class PendingScope;
  friend class Store;  // names these mutexes in the lock order (store.h)

  Status CheckOpen() const REQUIRES(io_mu_);
  // Takes room for `bytes` more from the budget and counts them; or gives them back.
  Status Count(uint64_t bytes);
  void Uncount(uint64_t bytes);
  // Makes the raw file `new_size` bytes with `io`, counting the change;
  // decodes first if the file was encoded.
  Status ResizeRaw(uint64_t new_size, const std::function<Status(File&)>& io) REQUIRES(io_mu_)
      EXCLUDES(mu_);
  // Starts encoding (the file is empty); false if this file is never encoded
  // or the encoder cannot start (then it stays raw).
  bool StartEncoding() REQUIRES(io_mu_);
  // Out of order: inflates the encoded bytes into the raw file and drops the encoder.
  Status DecodeLocked() REQUIRES(io_mu_);
  void DropEncoder() REQUIRES(io_mu_);
  void SetSize(uint64_t size) EXCLUDES(mu_);  // and the times a write sets

  const Clock* const clock_;
  const uint64_t max_size_;
  SpaceBudget* const budget_;
  Env* const env_;
  const MappingsEncoding* const encoding_;
  std::atomic<uint64_t> counted_{0};  // bytes this file holds in the budget
  // Serializes WriteAt/Truncate on file_. Held across the budget's Reserve,
  // which may evict: so it comes before the Store's locks.
  mutable Mutex io_mu_ ACQUIRED_BEFORE(mu_);
  // Null once closed; while it is set, the file's size counts in the budget.
  std::unique_ptr<File> file_ GUARDED_BY(io_mu_);
  // Set while the file is encoded; file_ then stays empty.
  std::unique_ptr<MappingsEncoder> encoder_ GUARDED_BY(io_mu_);
  mutable Mutex mu_;  // guards the fields below; held for no I/O
  FileAttrs attrs_ GUARDED_BY(mu_);
  int writers_ GUARDED_BY(mu_) = 0;
};

class PendingScope {
 public:
  PendingScope(Env* env, std::string key, std::string dir, const Clock* clock,
               uint64_t max_file_size, SpaceBudget* budget = nullptr,
               MappingsEncoding encoding = {});
  ~PendingScope();
  PendingScope(const PendingScope&) = delete;
  PendingScope& operator=(const PendingScope&) = delete;

  std::string key() const EXCLUDES(mu_);
  // After the Store renamed the scope's directory.
  void Relocate(std::string key, std::string dir) EXCLUDES(mu_);

  // Creates an empty file, or returns the existing one as it is. Permission
  // for a name that is not allowed.
  Result<std::shared_ptr<PendingFile>> Create(const std::string& name, uint32_t mode, uint32_t uid,
                                              uint32_t gid) EXCLUDES(mu_);
  // NotFound if there is no such file.
  Result<std::shared_ptr<PendingFile>> Find(const std::string& name) const EXCLUDES(mu_);
  // Removes the name. The file stays open for whoever holds it (see
  // PendingFile): its bytes count until the last holder lets go.
  Status Unlink(const std::string& name) EXCLUDES(mu_);
  // Renames within the scope, replacing `to` if it exists (a replaced file
  // is let go as Unlink lets go). Permission if `to` is not allowed.
  Status Rename(const std::string& from, const std::string& to) EXCLUDES(mu_);
  std::vector<std::string> List() const EXCLUDES(mu_);

  // One process writes a pending scope: `writer` (an OS process id; 0 is
  // no process and always passes) becomes its writer unless another writer
  // is still `alive`, and then it is Busy. So two copies racing onto one new
  // key cannot mix their files; once the writer has exited, or its commit
  // was refused, anyone may fix or finish the scope. Removing files needs no claim.
  Status ClaimWriter(int64_t writer, const std::function<bool(int64_t)>& alive) EXCLUDES(mu_);

  // Handles open for writing: the commit waits until the last one closes.
  void AddWriter(PendingFile& file) EXCLUDES(file.mu_);
  void RemoveWriter(PendingFile& file) EXCLUDES(file.mu_);
  // True when every file a commit needs exists and none of them, except
  // `closing` (whose writer is closing now), is open for writing.
  bool ReadyToCommit(const PendingFile* closing) const EXCLUDES(mu_);
  // For the commit: seals the mappings if they were encoded as written (see
  // PendingFile::SealEncoded), and decodes any other scope file that was.
  Result<std::optional<EncodedMappings>> PrepareCommit() EXCLUDES(mu_);

  // The directory's own attributes (setattr on the scope directory).
  FileAttrs dir_attrs() const EXCLUDES(mu_);
  void SetDirAttrs(const AttrChange& change) EXCLUDES(mu_);
  // True once a user set the directory's times: the commit then takes its
  // mtime as the creation time and its atime as the last access (how
  // `scopectl import` keeps the old cache's created_at and last_accessed).
  bool dir_times_set() const EXCLUDES(mu_);

  // The `.status` line: what the scope waits for, or why its commit was refused.
  std::string StatusLine() const EXCLUDES(mu_);
  void SetRefusal(std::string reason) EXCLUDES(mu_);
  // The times users set on the scope's files, for the commit to keep.
  std::map<std::string, int64_t> Mtimes() const EXCLUDES(mu_);
  int64_t last_activity_ns() const EXCLUDES(mu_);
  void Touch() EXCLUDES(mu_);

  // Set once the Store has committed (or dropped) the scope: its files are
  // read-only from then on, and a new pending scope may take the key.
  void MarkClosed() { closed_ = true; }
  bool closed() const { return closed_; }
  // Closes the scope as committed: `scope` is what it became.
  void MarkCommitted(std::shared_ptr<Scope> scope) EXCLUDES(mu_);
  // Closes every file in the scope (PendingFile::Close: their bytes go back
  // to the budget); the scope was committed or dropped.
  void CloseFiles() EXCLUDES(mu_);
  // The committed scope this one became, while it exists; nullptr otherwise.
  std::weak_ptr<Scope> committed_scope() const EXCLUDES(mu_);
  // Held by the Store for a whole commit and for a rename of the scope, so
  // two closes racing to commit the same scope run one after the other, and
  // the scope's key does not change under a commit.
  Mutex* commit_mu() RETURN_CAPABILITY(commit_mu_) { return &commit_mu_; }

 private:
  friend class Store;  // names these mutexes in the lock order (store.h)

  void TouchLocked() REQUIRES(mu_);
  Env* const env_;
  const Clock* const clock_;
  const uint64_t max_file_size_;
  SpaceBudget* const budget_;
  const MappingsEncoding encoding_;

  std::atomic<bool> closed_{false};
  Mutex commit_mu_ ACQUIRED_BEFORE(PendingFile::io_mu_);
  // Guards the fields below. Create, Unlink and Rename hold it across their
  // one syscall so the table and the directory agree; writes never take it.
  // No PendingFile is let go (destroyed) under it: that takes the file's io_mu_.
  mutable Mutex mu_ ACQUIRED_BEFORE(PendingFile::mu_);
  std::string key_ GUARDED_BY(mu_);
  std::string dir_ GUARDED_BY(mu_);
  std::map<std::string, std::shared_ptr<PendingFile>> files_ GUARDED_BY(mu_);
  FileAttrs dir_attrs_ GUARDED_BY(mu_);
  bool dir_times_set_ GUARDED_BY(mu_) = false;
  int64_t writer_ GUARDED_BY(mu_) = 0;   // the process writing the scope; 0 while none has
  std::string refusal_ GUARDED_BY(mu_);  // why the last commit was refused; cleared by any change
  std::weak_ptr<Scope> committed_ GUARDED_BY(mu_);  // weak: only readers keep a removed scope alive
  int64_t last_activity_ns_ GUARDED_BY(mu_) = 0;
};

}  // namespace scopefs::store
