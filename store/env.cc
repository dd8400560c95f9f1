#include "store/env.h"

namespace scopefs::store {

Status RemoveAll(Env* env, const std::string& path) {
  Result<FileInfo> info = env->Stat(path);
  if (!info.ok()) {
    return info.status().code() == Status::Code::kNotFound ? Status::Ok() : info.status();
  }
  if (!info->is_dir) return env->Unlink(path);
  ASSIGN_OR_RETURN(std::vector<std::string> names, env->ListDir(path));
  for (const std::string& name : names) RETURN_IF_ERROR(RemoveAll(env, path + "/" + name));
  return env->RemoveDir(path);
}

Result<std::string> ReadFileToString(Env* env, const std::string& path, uint64_t max_size) {
  ASSIGN_OR_RETURN(std::unique_ptr<File> file, env->Open(path, OpenMode::kRead));
  ASSIGN_OR_RETURN(uint64_t size, file->Size());
  if (size > max_size) {
    return Status::TooBig(path + " is " + std::to_string(size) + " bytes, more than " +
                          std::to_string(max_size));
  }
  std::string data(size, '\0');
  ASSIGN_OR_RETURN(size_t n, file->ReadAt(0, data.data(), data.size()));
  data.resize(n);
  return data;
}

Status ReadExactly(const File& file, uint64_t offset, char* buf, size_t n,
                   const std::string& what) {
  ASSIGN_OR_RETURN(size_t got, file.ReadAt(offset, buf, n));
  if (got != n) {
    return Status::Corruption(what + ": short read, " + std::to_string(got) + " of " +
                              std::to_string(n) + " bytes at offset " + std::to_string(offset));
  }
  return Status::Ok();
}

}  // namespace scopefs::store
