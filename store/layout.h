// Layout: every path of the store on disk, and the atomic-update primitives.
//
// STORE_DIR/
//   LOCK                   flock()ed by the one process that owns the store
//   access.json            last access times, saved every maintenance pass
//   shared-queue.json      scopes waiting to be published to the shared tier
//   scopes/<key>/          committed scopes (see FORMAT.md)
//   pending/<key>/         scopes being written, files by the names the user gave
//   staging/<key>/         a commit being assembled; renamed into scopes/
//   encoding/<n>.gz        pending mappings compressed as they are written
//   trash/<n>/             removed scopes whose files are still open
// Nothing else reads or writes under STORE_DIR by building its own path.
//
// Thread-safety: immutable after construction; the helpers are as thread-safe as the Env.
#pragma once

#include <string>
#include <string_view>

#include "store/env.h"
#include "store/status.h"

namespace scopefs::store {

// File names inside a committed scope directory.
inline constexpr std::string_view kNodesFile = "nodes.bits";
inline constexpr std::string_view kLinksFile = "links.bits";
inline constexpr std::string_view kMappingsFile = "mappings.json";       // as users see it
inline constexpr std::string_view kMappingsGzFile = "mappings.json.gz";  // as stored
inline constexpr std::string_view kMetaFile = "meta.json";
inline constexpr std::string_view kNodesIndexFile = "nodes.idx";  // mapping_index.h
inline constexpr std::string_view kLinksIndexFile = "links.idx";
// The files a scope shows: a committed one's, and the ones a pending one needs.
inline constexpr std::string_view kScopeFiles[] = {kNodesFile, kLinksFile, kMappingsFile,
                                                   kMetaFile};

// The index files a committed scope shows when it was committed with them.
// They are derived from the mappings: what users write under these names is
// discarded (pending_scope.h, fs/meta_drafts.h).
inline constexpr std::string_view kIndexFiles[] = {kNodesIndexFile, kLinksIndexFile};

// True for the names every committed scope shows (kScopeFiles).
constexpr bool IsCommittedScopeFileName(std::string_view name) {
  for (std::string_view file : kScopeFiles) {
    if (file == name) return true;
  }
  return false;
}

constexpr bool IsIndexFileName(std::string_view name) {
  return name == kNodesIndexFile || name == kLinksIndexFile;
}

// True for the names rsync gives its temporary copy of `file`: ".FILE.XXXXXX".
constexpr bool IsTemporaryNameOf(std::string_view name, std::string_view file) {
  return name.size() > file.size() + 2 && name[0] == '.' && name.substr(1, file.size()) == file &&
         name[file.size() + 1] == '.';
}

class Layout {
 public:
  explicit Layout(std::string root);

  const std::string& root() const { return root_; }
  std::string lock_file() const { return root_ + "/LOCK"; }
  std::string access_file() const { return root_ + "/access.json"; }
  std::string publish_queue_file() const { return root_ + "/shared-queue.json"; }
  std::string scopes_dir() const { return root_ + "/scopes"; }
  std::string pending_dir() const { return root_ + "/pending"; }
  std::string staging_dir() const { return root_ + "/staging"; }
  std::string trash_dir() const { return root_ + "/trash"; }
  std::string encoding_dir() const { return root_ + "/encoding"; }

  std::string scope_dir(std::string_view key) const { return Join(scopes_dir(), key); }
  std::string pending_scope_dir(std::string_view key) const { return Join(pending_dir(), key); }
  std::string staging_scope_dir(std::string_view key) const { return Join(staging_dir(), key); }
  std::string trash_entry(uint64_t n) const { return trash_dir() + "/" + std::to_string(n); }

  static std::string Join(std::string_view dir, std::string_view name) {
    std::string path(dir);
    path += '/';
    path += name;
    return path;
  }

  // Creates the store's directories that are missing, and syncs what it created.
  Status CreateDirs(Env* env) const;

 private:
  std::string root_;
};

// Replaces `path` with `contents` atomically: a crash leaves the old file or the
// new one, never a mix. Writes `path.tmp`, fsyncs it, renames it over `path`
// and fsyncs the directory; removes the temp file if any step fails.
Status WriteFileAtomically(Env* env, const std::string& path, std::string_view contents);

// Moves a directory to `to` (which must not exist) durably: rename, then fsync
// both parents so the move is on disk when this returns. If a sync fails, the
// rename is undone (best effort, logged) so the caller's failure is the truth.
Status MoveDirDurably(Env* env, const std::string& from, const std::string& to);

std::string ParentDir(const std::string& path);

}  // namespace scopefs::store
