#include "fs/access_policy.h"

#include <grp.h>

#include <algorithm>
#include <charconv>

namespace scopefs::fs {

AccessPolicy::AccessPolicy(uid_t daemon_uid, gid_t daemon_gid, std::optional<gid_t> write_group)
    : daemon_uid_(daemon_uid), daemon_gid_(daemon_gid), write_group_(write_group) {}

bool AccessPolicy::Privileged(const Caller& caller) const {
  return caller.uid == 0 || caller.uid == daemon_uid_;
}

store::Status AccessPolicy::MayWrite(const Caller& caller, std::string_view what) const {
  if (Privileged(caller)) return store::Status::Ok();
  if (write_group_) {
    if (caller.gid == *write_group_) return store::Status::Ok();
    if (caller.groups) {
      const std::vector<gid_t> groups = caller.groups();
      if (std::find(groups.begin(), groups.end(), *write_group_) != groups.end()) {
        return store::Status::Ok();
      }
    }
  }
  std::string who = write_group_ ? "root and members of group " + std::to_string(*write_group_)
                                 : std::string("root");
  return store::Status::Access(std::string(what) + ": uid " + std::to_string(caller.uid) +
                               " may not add, remove or rename scopes (only " + who + " may)");
}

store::Status AccessPolicy::MayAct(const Caller& caller, std::string_view what) const {
  if (Privileged(caller)) return store::Status::Ok();
  return store::Status::Access(std::string(what) + ": uid " + std::to_string(caller.uid) +
                               " may not run control actions (only root may)");
}

store::Result<gid_t> ResolveGroup(const std::string& name_or_gid) {
  if (name_or_gid.empty()) return store::Status::Invalid("write_group needs a group name");
  gid_t gid = 0;
  const char* end = name_or_gid.data() + name_or_gid.size();
  if (auto [p, ec] = std::from_chars(name_or_gid.data(), end, gid); ec == std::errc() && p == end) {
    return gid;
  }
  struct group grp {};
  struct group* found = nullptr;
  std::vector<char> buf(16384);
  int err = 0;
  while ((err = getgrnam_r(name_or_gid.c_str(), &grp, buf.data(), buf.size(), &found)) == ERANGE) {
    buf.resize(buf.size() * 2);
  }
  if (err != 0 || found == nullptr) {
    return store::Status::Invalid("write_group: no group named \"" + name_or_gid + "\"");
  }
  return found->gr_gid;
}

}  // namespace scopefs::fs
