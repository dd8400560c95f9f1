#include "store/layout.h"

#include "store/log.h"

namespace scopefs::store {

Layout::Layout(std::string root) : root_(std::move(root)) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

Status Layout::CreateDirs(Env* env) const {
  bool created = false;
  for (const std::string& dir :
       {root_, scopes_dir(), pending_dir(), staging_dir(), trash_dir(), encoding_dir()}) {
    Status st = env->MakeDir(dir);
    if (st.ok()) {
      created = true;
    } else if (st.code() != Status::Code::kExists) {
      return st;
    }
  }
  if (created) {
    RETURN_IF_ERROR(env->SyncDir(root_));
    if (root_ != "/") RETURN_IF_ERROR(env->SyncDir(ParentDir(root_)));
  }
  return Status::Ok();
}

std::string ParentDir(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Status WriteFileAtomically(Env* env, const std::string& path, std::string_view contents) {
  const std::string tmp = path + ".tmp";
  Status st = [&]() -> Status {
    ASSIGN_OR_RETURN(std::unique_ptr<File> file, env->Open(tmp, OpenMode::kCreate));
    RETURN_IF_ERROR(file->WriteAt(0, contents.data(), contents.size()));
    RETURN_IF_ERROR(file->Sync());
    return Status::Ok();
  }();
  if (st.ok()) st = env->Rename(tmp, path, RenameMode::kReplace);
  if (!st.ok()) {
    (void)env->Unlink(tmp);  // best effort: recovery removes it otherwise
    return st;
  }
  return env->SyncDir(ParentDir(path));
}

Status MoveDirDurably(Env* env, const std::string& from, const std::string& to) {
  RETURN_IF_ERROR(env->Rename(from, to, RenameMode::kNoReplace));
  const std::string to_parent = ParentDir(to);
  const std::string from_parent = ParentDir(from);
  Status st = env->SyncDir(to_parent);
  if (st.ok() && from_parent != to_parent) st = env->SyncDir(from_parent);
  if (st.ok()) return st;
  // The caller will report failure, so the move must not stand: move it back.
  if (Status undo = env->Rename(to, from, RenameMode::kNoReplace); !undo.ok()) {
    LogError("cannot undo rename of " + from + " to " + to + ": " + undo.ToString());
  }
  return st;
}

}  // namespace scopefs::store
