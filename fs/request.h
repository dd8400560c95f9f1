// What every handler needs: the Filesystem behind a request, the guard that
// keeps exceptions out of libfuse, and the one way to reply with an error.
//
// A handler computes its answer as a store::Status / Result and replies once,
// at the end; Guard() catches anything thrown before that reply (nlohmann,
// std::bad_alloc, ...) and replies EIO (ENOMEM for bad_alloc), with a log line.
#pragma once

#include <fuse_lowlevel.h>

#include <exception>
#include <new>
#include <string>

#include "fs/caller.h"
#include "fs/errno_map.h"
#include "fs/filesystem.h"
#include "store/log.h"

namespace scopefs::fs {

inline Filesystem& Fs(fuse_req_t req) { return *static_cast<Filesystem*>(fuse_req_userdata(req)); }

// Replies with the errno of `status` (0 for OK), logging real failures.
void ReplyStatus(fuse_req_t req, const char* op, const store::Status& status);

// The node for `ino`, or ESTALE if the kernel asks about one it was told to forget.
store::Result<std::shared_ptr<Node>> GetNode(fuse_req_t req, fuse_ino_t ino);

// Who sent `req`.
Caller CallerOf(fuse_req_t req);
// OK if the requesting process may add, remove or rename scopes
// (AccessPolicy::MayWrite); Access (EACCES) naming its uid and `what` otherwise.
store::Status MayWrite(fuse_req_t req, std::string_view what);

// Fills a fuse_entry_param for `node` (attributes and timeouts).
store::Result<fuse_entry_param> MakeEntry(Filesystem& fs, const Node& node);

// For forget, which answers with fuse_reply_none whatever happens.
template <typename Body>
void GuardNoReply(fuse_req_t req, const char* op, Body&& body) {
  try {
    body();
  } catch (const std::exception& e) {
    store::LogError(std::string(op) + ": unexpected exception: " + e.what());
  } catch (...) {
    store::LogError(std::string(op) + ": unexpected exception");
  }
  fuse_reply_none(req);
}

template <typename Body>
void Guard(fuse_req_t req, const char* op, Body&& body) {
  try {
    body();
  } catch (const std::bad_alloc&) {
    store::LogError(std::string(op) + ": out of memory");
    fuse_reply_err(req, ENOMEM);
  } catch (const std::exception& e) {
    store::LogError(std::string(op) + ": unexpected exception: " + e.what());
    fuse_reply_err(req, EIO);
  } catch (...) {
    store::LogError(std::string(op) + ": unexpected exception");
    fuse_reply_err(req, EIO);
  }
}

}  // namespace scopefs::fs
