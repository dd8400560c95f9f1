// MetaDraft: rsync's temporary copy of meta.json inside a committed scope.
//
// `rsync -a` run again onto a committed scope finds the generated meta.json
// different from its source and sends it as `.meta.json.XXXXXX`, then renames
// that over meta.json. A draft holds those bytes in memory (at most 1 MiB);
// the rename succeeds if they say what the scope already says, and changes
// nothing (Store::CheckMetaUnchanged). Every other write to a committed
// scope is still EACCES.
// Thread-safety: internal locking.
#pragma once

#include <mutex>
#include <string>
#include <string_view>

#include "store/input_meta.h"
#include "store/pending_scope.h"

namespace scopefs::fs {

class MetaDraft {
 public:
  explicit MetaDraft(store::FileAttrs attrs) : attrs_(attrs) {}

  // True for the names rsync gives its temporary copy of meta.json.
  static bool IsDraftName(std::string_view name) {
    return name.starts_with(".meta.json.") && name.size() > 11;
  }

  store::Status Write(uint64_t offset, std::string_view data) {
    if (offset > store::kMaxMetaBytes || data.size() > store::kMaxMetaBytes - offset) {
      return store::Status::TooBig("meta.json is limited to " +
                                   std::to_string(store::kMaxMetaBytes) + " bytes");
    }
    std::lock_guard lock(mu_);
    if (data_.size() < offset + data.size()) data_.resize(offset + data.size());
    data_.replace(offset, data.size(), data);
    attrs_.size = data_.size();
    return store::Status::Ok();
  }
  store::Status Truncate(uint64_t size) {
    if (size > store::kMaxMetaBytes) return Write(size, "");
    std::lock_guard lock(mu_);
    data_.resize(size);
    attrs_.size = size;
    return store::Status::Ok();
  }
  void SetAttrs(const store::AttrChange& change, int64_t now_ns) {
    std::lock_guard lock(mu_);
    store::ApplyAttrChange(change, now_ns, attrs_);
  }
  store::FileAttrs attrs() const {
    std::lock_guard lock(mu_);
    return attrs_;
  }
  std::string data() const {
    std::lock_guard lock(mu_);
    return data_;
  }

 private:
  mutable std::mutex mu_;
  std::string data_;
  store::FileAttrs attrs_;
};

}  // namespace scopefs::fs
