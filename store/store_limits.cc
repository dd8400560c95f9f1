// The Store's cache policy: LRU eviction, TTL expiry, the space budget for
// pending writes, maintenance, and access times that survive a restart.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "store/index_verify.h"
#include "store/key.h"
#include "store/log.h"
#include "store/store.h"

namespace scopefs::store {

bool Store::Expired(const Scope& scope) const {
  const int64_t ttl = options_.limits.ttl_ns;
  return ttl > 0 && options_.clock->NowNanos() - scope.last_access_ns() >= ttl;
}

void Store::RecordAccess(Scope& scope) {
  scope.RecordAccess(options_.clock->NowNanos());
  access_dirty_ = true;
}

StoreCounters Store::counters() const {
  return {commits_.load(),
          rejected_.load(),
          evictions_.load(),
          expirations_.load(),
          quarantined_.load(),
          encoded_as_written_.load(),
          compressed_at_commit_.load(),
          adopted_.load()};
}

void Store::SetRemovalListener(std::function<void(const std::string& key)> listener) {
  removal_listener_ = std::move(listener);
}

void Store::SetCommitListener(std::function<void(const std::string& key)> listener) {
  commit_listener_ = std::move(listener);
}

bool Store::Drop(const std::string& key, const char* why, std::atomic<uint64_t>& counter) {
  if (!FindAny(key)) return false;
  // Said before it is done: a crash right after the move still leaves the reason in the log.
  LogInfo(std::string(why) + ": " + key);
  Status st = Remove(key);
  if (!st.ok()) {
    if (st.code() != Status::Code::kNotFound)
      LogError(std::string(why) + " " + key + " failed: " + st.ToString());
    return false;
  }
  ++counter;
  if (removal_listener_) removal_listener_(key);
  return true;
}

void Store::Quarantine(const Scope& scope, const Status& damage) {
  const std::string key = scope.key();
  if (FindAny(key).get() != &scope) return;  // already gone, or the key holds a new scope
  LogError("quarantining scope " + key + ": " + damage.ToString());
  Drop(key, "quarantined", quarantined_);
}

Status Store::Verify(const std::string& key) {
  std::shared_ptr<Scope> scope = FindAny(key);
  if (!scope) return Status::NotFound("no scope " + key);
  Status st = scope->Verify();
  if (st.ok()) {
    // Scratch under encoding/, which the store empties at start: no key starts with '.'.
    st = VerifyScopeIndexes(
        env_, *scope,
        Layout::Join(layout_.encoding_dir(), ".verify-" + std::to_string(next_verify_++)));
  }
  return st.ok() ? st : JudgeReadError(*scope, std::move(st));
}

Status Store::JudgeReadError(const Scope& scope, Status st) {
  if (st.code() == Status::Code::kNotFound) {
    MutexLock lock(&ns_mu_);
    auto it = listing_.find(scope.key());
    if (it == listing_.end() || it->second.get() != &scope) return st;
    st = Status::Corruption(st.message() + " (a stored file is missing)");
  }
  if (st.code() == Status::Code::kCorruption) Quarantine(scope, st);
  return st;
}

bool Store::EvictOne(const std::string& keep) {
  // Expired scopes have the oldest accesses, so they go first.
  std::vector<std::shared_ptr<Scope>> all = ListAll();
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
    return a->last_access_ns() != b->last_access_ns() ? a->last_access_ns() < b->last_access_ns()
                                                      : a->key() < b->key();
  });
  for (const auto& scope : all) {
    const std::string key = scope->key();
    if (key == keep) continue;
    const bool dropped = Expired(*scope) ? Drop(key, "expired", expirations_)
                                         : Drop(key, "evicted (least recently used)", evictions_);
    if (dropped) return true;
  }
  return false;
}

void Store::EnforceLimits(const std::string& keep) {
  const CacheLimits& l = options_.limits;
  while (size() > l.max_entries || stored_bytes_.load() + pending_bytes_.load() > l.max_size) {
    if (!EvictOne(keep)) break;
  }
}

Status Store::Reserve(uint64_t bytes) {
  const uint64_t max = options_.limits.max_size;
  for (;;) {
    uint64_t pending = pending_bytes_.load();
    if (pending + bytes > max) {
      return Status::NoSpace("pending data would reach " + std::to_string(pending + bytes) +
                             " bytes, more than max_size=" + std::to_string(max) +
                             " even with every committed scope evicted");
    }
    if (stored_bytes_.load() + pending + bytes <= max) {
      if (pending_bytes_.compare_exchange_weak(pending, pending + bytes)) return Status::Ok();
      continue;
    }
    if (!EvictOne("")) {
      return Status::NoSpace("the cache is full (max_size=" + std::to_string(max) + ")");
    }
  }
}

void Store::Release(uint64_t bytes) {
  uint64_t pending = pending_bytes_.load();
  while (!pending_bytes_.compare_exchange_weak(pending, pending - std::min(pending, bytes))) {
  }
}

GarbageReport Store::RunMaintenance() {
  GarbageReport report;
  for (const auto& scope : ListAll()) {
    if (Expired(*scope) && Drop(scope->key(), "expired", expirations_)) ++report.expired;
  }
  const int64_t timeout = options_.limits.pending_timeout_ns;
  const int64_t now = options_.clock->NowNanos();
  for (const auto& pending : ListPending()) {
    if (timeout > 0 && now - pending->last_activity_ns() >= timeout) {
      const std::string key = pending->key();
      LogInfo("dropping pending scope " + key + ": no activity for " +
              std::to_string(timeout / 1'000'000'000) + " s");
      if (Status st = DropPending(key); st.ok()) {
        ++report.pending_dropped;
      } else if (st.code() != Status::Code::kNotFound) {
        LogError("cannot drop pending scope " + key + ": " + st.ToString());
      }
    }
  }
  if (Status st = PersistAccessTimes(); !st.ok()) {
    LogError("cannot save access times: " + st.ToString());
  }
  return report;
}

GarbageReport Store::CollectGarbage() {
  GarbageReport report = RunMaintenance();
  report.orphans = RemoveOrphans();
  return report;
}

uint64_t Store::RemoveOrphans() {
  // Under ns_mu_, the directories and the maps agree: a commit's staging
  // directory belongs to a scope still pending until the rename that
  // publishes it, which also runs under ns_mu_.
  MutexLock lock(&ns_mu_);
  uint64_t removed = 0;
  auto sweep = [&](const std::string& dir, auto&& owned) {
    Result<std::vector<std::string>> names = env_->ListDir(dir);
    if (!names.ok()) return LogError("gc: cannot list " + dir + ": " + names.status().ToString());
    for (const std::string& name : *names) {
      if (owned(name)) continue;
      const std::string path = Layout::Join(dir, name);
      if (Status st = RemoveAll(env_, path); !st.ok()) {
        LogError("gc: cannot remove orphan " + path + ": " + st.ToString());
        continue;
      }
      LogInfo("gc: removed orphan " + path);
      ++removed;
    }
  };
  std::set<std::string> pending, committed;  // the keys, for the lambdas (no lock held in them)
  for (const auto& [key, scope] : pending_) pending.insert(key);
  for (const auto& [key, scope] : listing_) committed.insert(key);
  auto is_pending = [&](const std::string& name) { return pending.count(name) != 0; };
  sweep(layout_.pending_dir(), is_pending);
  // A fetch fills its AdoptionDir with no lock held: it is no orphan.
  const std::set<std::string> adopting = adopting_;
  sweep(layout_.staging_dir(),
        [&](const std::string& name) { return is_pending(name) || adopting.count(name) != 0; });
  sweep(layout_.scopes_dir(), [&](const std::string& name) { return committed.count(name) != 0; });
  return removed;
}

Status Store::PersistAccessTimes() {
  if (!access_dirty_.exchange(false)) return Status::Ok();
  nlohmann::json times = nlohmann::json::object();
  for (const auto& scope : ListAll()) times[scope->key()] = scope->last_access_ns();
  nlohmann::json doc = {{"format", 1}, {"last_access_ns", times}};
  Status st = WriteFileAtomically(env_, layout_.access_file(), doc.dump() + "\n");
  if (!st.ok()) access_dirty_ = true;  // try again next pass
  return st;
}

void Store::LoadAccessTimes() {
  Result<std::string> text = ReadFileToString(env_, layout_.access_file(), uint64_t{64} << 20);
  if (!text.ok()) {
    if (text.status().code() != Status::Code::kNotFound) {
      LogWarning("ignoring access times: " + text.status().ToString());
    }
    return;
  }
  nlohmann::json doc = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  auto times = doc.is_object() ? doc.find("last_access_ns") : doc.end();
  if (doc.is_discarded() || times == doc.end() || !times->is_object()) {
    LogWarning("ignoring " + layout_.access_file() + ": not an access-time file");
    return;
  }
  for (const auto& [key, ns] : times->items()) {
    std::shared_ptr<Scope> scope = FindAny(key);
    if (scope && ns.is_number_integer()) {
      scope->RecordAccess(std::max(scope->last_access_ns(), ns.get<int64_t>()));
    }
  }
}

}  // namespace scopefs::store
