#include "fs/meta_drafts.h"

#include <algorithm>

#include "store/input_meta.h"

namespace scopefs::fs {

store::Status MetaDraft::Write(uint64_t offset, std::string_view data) {
  if (discards_bytes_) {
    store::MutexLock lock(&mu_);
    attrs_.size = std::max<uint64_t>(attrs_.size, offset + data.size());
    return store::Status::Ok();
  }
  if (offset > store::kMaxMetaBytes || data.size() > store::kMaxMetaBytes - offset) {
    return store::Status::TooBig("meta.json is limited to " + std::to_string(store::kMaxMetaBytes) +
                                 " bytes");
  }
  store::MutexLock lock(&mu_);
  if (data_.size() < offset + data.size()) data_.resize(offset + data.size());
  data_.replace(offset, data.size(), data);
  attrs_.size = data_.size();
  return store::Status::Ok();
}

store::Status MetaDraft::Truncate(uint64_t size) {
  if (size > store::kMaxMetaBytes && !discards_bytes_) return Write(size, "");
  store::MutexLock lock(&mu_);
  if (!discards_bytes_) data_.resize(size);
  attrs_.size = size;
  return store::Status::Ok();
}

void MetaDraft::SetAttrs(const store::AttrChange& change, int64_t now_ns) {
  store::MutexLock lock(&mu_);
  store::ApplyAttrChange(change, now_ns, attrs_);
}

store::FileAttrs MetaDraft::attrs() const {
  store::MutexLock lock(&mu_);
  return attrs_;
}

std::string MetaDraft::data() const {
  store::MutexLock lock(&mu_);
  return data_;
}

void MetaDraft::Opened() {
  store::MutexLock lock(&mu_);
  ++open_handles_;
}

void MetaDraft::Closed(int64_t now_ns) {
  store::MutexLock lock(&mu_);
  --open_handles_;
  last_close_ns_ = now_ns;
}

bool MetaDraft::Abandoned(int64_t now_ns, int64_t grace_ns,
                          const std::function<bool(pid_t)>& alive) const {
  {
    store::MutexLock lock(&mu_);
    if (open_handles_ > 0) return false;
    if (now_ns - last_close_ns_ >= grace_ns) return true;
  }
  return creator_ == 0 || !alive(creator_);  // no lock across the syscall
}

bool MetaDrafts::Gone(const Entry& e, int64_t now_ns) const {
  std::shared_ptr<store::Scope> scope = e.scope.lock();
  return !scope || scope->removed() || e.draft->Abandoned(now_ns, kGraceNs, alive_);
}

size_t MetaDrafts::Sweep(int64_t now_ns) {
  std::vector<Entry> snapshot;
  {
    store::MutexLock lock(&mu_);
    snapshot = entries_;
  }
  std::vector<std::shared_ptr<MetaDraft>> gone;  // judged with no lock held: it asks the kernel
  for (const Entry& e : snapshot) {
    if (Gone(e, now_ns)) gone.push_back(e.draft);
  }
  store::MutexLock lock(&mu_);
  return std::erase_if(entries_, [&](const Entry& e) {
    return std::find(gone.begin(), gone.end(), e.draft) != gone.end();
  });
}

size_t MetaDrafts::size() const {
  store::MutexLock lock(&mu_);
  return entries_.size();
}

namespace {
bool SameScope(const std::weak_ptr<store::Scope>& a, const std::shared_ptr<store::Scope>& b) {
  return !a.owner_before(b) && !b.owner_before(a);
}
}  // namespace

store::Result<std::shared_ptr<MetaDraft>> MetaDrafts::Create(
    const std::shared_ptr<store::Scope>& scope, const std::string& name, store::FileAttrs attrs,
    pid_t creator, int64_t now_ns) {
  auto draft = std::make_shared<MetaDraft>(attrs, creator, MetaDraft::IsIndexDraftName(name));
  if (size() >= kMax) Sweep(now_ns);
  store::MutexLock lock(&mu_);
  std::erase_if(entries_,
                [&](const Entry& e) { return e.name == name && SameScope(e.scope, scope); });
  if (entries_.size() >= kMax) {
    return store::Status::NoSpace("too many unfinished meta.json drafts in committed scopes (" +
                                  std::to_string(kMax) + ")");
  }
  entries_.push_back({scope, name, draft});
  return draft;
}

std::shared_ptr<MetaDraft> MetaDrafts::Find(const std::shared_ptr<store::Scope>& scope,
                                            const std::string& name) const {
  store::MutexLock lock(&mu_);
  for (const Entry& e : entries_) {
    if (e.name == name && SameScope(e.scope, scope)) return e.draft;
  }
  return nullptr;
}

void MetaDrafts::Remove(const std::shared_ptr<MetaDraft>& draft) {
  store::MutexLock lock(&mu_);
  std::erase_if(entries_, [&](const Entry& e) { return e.draft == draft; });
}

}  // namespace scopefs::fs
