#include "store/member_cache.h"

#include <new>
#include <utility>

namespace scopefs::store {

MemberCache::MemberCache(size_t capacity_bytes) : capacity_(capacity_bytes) {}

uint64_t MemberCache::NewReaderId() {
  MutexLock lock(&mu_);
  return next_reader_id_++;
}

Result<MemberCache::Value> MemberCache::GetOrLoad(uint64_t reader, uint64_t member,
                                                  const Loader& load,
                                                  const std::function<void()>& while_waiting) {
  return *Get(Key{reader, member}, load, /*wait=*/true, while_waiting);
}

bool MemberCache::Prefetch(uint64_t reader, uint64_t member, const Loader& load) {
  return Get(Key{reader, member}, load, /*wait=*/false, nullptr).has_value();
}

std::optional<Result<MemberCache::Value>> MemberCache::Get(
    Key key, const Loader& load, bool wait, const std::function<void()>& while_waiting) {
  std::promise<Result<Value>> promise;
  Future other_load;
  {
    MutexLock lock(&mu_);
    if (auto it = entries_.find(key); it != entries_.end()) {
      if (!wait) return std::nullopt;
      lru_.splice(lru_.begin(), lru_, it->second.lru);
      return Result<Value>(it->second.value);
    }
    if (auto it = loading_.find(key); it != loading_.end()) {
      if (!wait) return std::nullopt;
      other_load = it->second;
    } else {
      loading_.emplace(key, promise.get_future().share());
    }
  }
  if (other_load.valid()) {
    if (while_waiting) while_waiting();
    return other_load.get();
  }

  Result<Value> result = Status::FromErrno(ENOMEM, "inflate a mappings member");
  std::list<Value> dropped;  // freed after the lock is released
  try {
    Result<std::string> loaded = load();
    if (loaded.ok()) {
      result = Value(std::make_shared<const std::string>(std::move(loaded).value()));
    } else {
      result = loaded.status();
    }
  } catch (const std::bad_alloc&) {
    // `result` already says ENOMEM.
  } catch (...) {
    {
      MutexLock lock(&mu_);
      loading_.erase(key);
    }
    promise.set_exception(std::current_exception());
    throw;
  }
  {
    MutexLock lock(&mu_);
    loading_.erase(key);
    if (result.ok()) InsertLocked(key, *result, &dropped);
  }
  promise.set_value(result);
  return result;
}

void MemberCache::InsertLocked(Key key, Value value, std::list<Value>* dropped) {
  // A value bigger than the whole cache would only push everything else out.
  if (value->size() > capacity_) return;
  auto [it, inserted] = entries_.try_emplace(key);
  if (!inserted) {  // EraseReader raced with a load; keep the newer bytes
    bytes_ -= it->second.value->size();
    dropped->push_back(std::move(it->second.value));
    lru_.erase(it->second.lru);
  }
  bytes_ += value->size();
  it->second.value = std::move(value);
  lru_.push_front(key);
  it->second.lru = lru_.begin();
  while (bytes_ > capacity_) {
    auto victim = entries_.find(lru_.back());
    bytes_ -= victim->second.value->size();
    dropped->push_back(std::move(victim->second.value));
    entries_.erase(victim);
    lru_.pop_back();
  }
}

void MemberCache::EraseReader(uint64_t reader) {
  std::list<Value> dropped;
  MutexLock lock(&mu_);
  auto it = entries_.lower_bound(Key{reader, 0});
  while (it != entries_.end() && it->first.reader == reader) {
    bytes_ -= it->second.value->size();
    dropped.push_back(std::move(it->second.value));
    lru_.erase(it->second.lru);
    it = entries_.erase(it);
  }
  // `dropped` is destroyed after the lock_guard: members are freed unlocked.
}

size_t MemberCache::bytes_cached() const {
  MutexLock lock(&mu_);
  return bytes_;
}

size_t MemberCache::entries() const {
  MutexLock lock(&mu_);
  return entries_.size();
}

}  // namespace scopefs::store
