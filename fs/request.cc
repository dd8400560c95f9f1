#include "fs/request.h"

#include <algorithm>
#include <cerrno>
#include <vector>

namespace scopefs::fs {

void ReplyStatus(fuse_req_t req, const char* op, const store::Status& status) {
  const int err = ToErrno(status);
  // Answers to ordinary questions (no such name) are not worth a log line;
  // refusals and failures are: they say what was wrong.
  if (err != 0 && err != ENOENT && err != ENODATA && err != ENOTEMPTY) {
    store::LogWarning(std::string(op) + ": " + status.ToString());
  }
  fuse_reply_err(req, err);
}

Caller CallerOf(fuse_req_t req) {
  const fuse_ctx* ctx = fuse_req_ctx(req);
  Caller caller{ctx->uid, ctx->gid, ctx->pid, ctx->umask, nullptr};
  caller.groups = [req] {
    std::vector<gid_t> groups(64);
    int n = fuse_req_getgroups(req, static_cast<int>(groups.size()), groups.data());
    if (n > static_cast<int>(groups.size())) {  // more than we asked for: ask again
      groups.resize(static_cast<size_t>(n));
      n = fuse_req_getgroups(req, n, groups.data());
    }
    groups.resize(n > 0 ? std::min(static_cast<size_t>(n), groups.size()) : 0);
    return groups;
  };
  return caller;
}

store::Status MayWrite(fuse_req_t req, std::string_view what) {
  return Fs(req).access().MayWrite(CallerOf(req), what);
}

store::Result<std::shared_ptr<Node>> GetNode(fuse_req_t req, fuse_ino_t ino) {
  std::shared_ptr<Node> node = Fs(req).inodes().Get(ino);
  if (!node) return Gone("inode " + std::to_string(ino));
  return node;
}

store::Result<fuse_entry_param> MakeEntry(Filesystem& fs, const Node& node) {
  ASSIGN_OR_RETURN(struct stat attr, node.Attr(fs));
  fuse_entry_param e{};
  e.ino = node.ino();
  e.generation = 1;  // inode numbers are never reused
  e.attr = attr;
  e.attr_timeout = node.AttrTimeout();
  e.entry_timeout = node.EntryTimeout();
  return e;
}

}  // namespace scopefs::fs
