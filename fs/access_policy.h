// AccessPolicy: who may change the cache through the mount.
//
// Everyone the mount lets in may read. Adding, removing and renaming scopes,
// writing their files and changing their attributes needs the write right:
// root, the daemon's own user, or a member of the write group (by primary or
// supplementary gid) when `-o write_group=NAME` names one. The control files
// that act (.scopefs/gc, verify) are for root and the daemon's user only.
// A refusal is Access (EACCES) with a message that names the caller's uid.
// The root directory's mode and group show the rule, so `ls -ld` tells the truth.
//
// Thread-safety: immutable after construction.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

#include "fs/caller.h"
#include "store/status.h"

namespace scopefs::fs {

class AccessPolicy {
 public:
  AccessPolicy(uid_t daemon_uid, gid_t daemon_gid, std::optional<gid_t> write_group);

  // OK if `caller` may add, remove or rename scopes; Access naming the uid and
  // `what` (e.g. "mkdir foo") otherwise.
  store::Status MayWrite(const Caller& caller, std::string_view what) const;
  // OK if `caller` may run a control action.
  store::Status MayAct(const Caller& caller, std::string_view what) const;

  // The root directory as `ls -ld` shows it: the daemon's user owns it; with a
  // write group it is group-writable and belongs to that group.
  mode_t root_mode() const { return write_group_ ? 0775 : 0755; }
  // Everything else belongs to the daemon's user and group.
  uid_t daemon_uid() const { return daemon_uid_; }
  gid_t daemon_gid() const { return daemon_gid_; }
  uid_t root_uid() const { return daemon_uid_; }
  gid_t root_gid() const { return write_group_.value_or(daemon_gid_); }

 private:
  bool Privileged(const Caller& caller) const;

  const uid_t daemon_uid_;
  const gid_t daemon_gid_;
  const std::optional<gid_t> write_group_;
};

// The gid of group `name_or_gid` (a name from the group database, or a number);
// Invalid if there is no such group.
store::Result<gid_t> ResolveGroup(const std::string& name_or_gid);

}  // namespace scopefs::fs
