#include "store/shared_publisher.h"

#include <algorithm>

#include "store/log.h"

namespace scopefs::store {

Result<std::unique_ptr<SharedPublisher>> SharedPublisher::Start(Store* store,
                                                                const SharedTier* tier,
                                                                CircuitBreaker* breaker,
                                                                SharedPublisherOptions options) {
  const std::string path = store->layout().publish_queue_file();
  Result<std::unique_ptr<PublishQueue>> queue = PublishQueue::Open(store->env(), path);
  if (!queue.ok() && queue.status().code() == Status::Code::kCorruption) {
    // What it held is lost: queue every scope instead; those the tier has
    // already cost a Find each.
    LogError("shared tier: " + queue.status().ToString() + "; queueing every local scope");
    RETURN_IF_ERROR(store->env()->Unlink(path));
    queue = PublishQueue::Open(store->env(), path);
    if (queue.ok()) {
      std::vector<std::string> keys;
      for (const auto& scope : store->List()) keys.push_back(scope->key());
      std::sort(keys.begin(), keys.end());
      for (const std::string& key : keys) RETURN_IF_ERROR((*queue)->Add(key));
    }
  }
  RETURN_IF_ERROR(queue.status());
  return std::unique_ptr<SharedPublisher>(
      new SharedPublisher(store, tier, breaker, options, std::move(queue).value()));
}

SharedPublisher::SharedPublisher(Store* store, const SharedTier* tier, CircuitBreaker* breaker,
                                 SharedPublisherOptions options,
                                 std::unique_ptr<PublishQueue> queue)
    : store_(store),
      tier_(tier),
      breaker_(breaker),
      options_(options),
      queue_(std::move(queue)),
      thread_([this] { Run(); }) {}

SharedPublisher::~SharedPublisher() { Stop(); }

Status SharedPublisher::Enqueue(const std::string& key) {
  RETURN_IF_ERROR(queue_->Add(key));
  MutexLock lock(&mu_);
  enqueued_.push_back(key);
  woken_ = true;
  cv_.NotifyAll();
  return Status::Ok();
}

void SharedPublisher::Stop() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    cv_.NotifyAll();
  }
  if (thread_.joinable()) thread_.join();
}

bool SharedPublisher::WaitIdle(std::chrono::milliseconds timeout) {
  MutexLock lock(&mu_);
  return cv_.WaitFor(&mu_, timeout,
                     [&]() REQUIRES(mu_) { return !busy_ && !woken_ && queue_->Keys().empty(); });
}

PublisherCounters SharedPublisher::counters() const {
  return {publishes_.load(), publish_errors_.load(), bytes_published_.load(),
          queue_->Keys().size()};
}

void SharedPublisher::Sleep(std::chrono::nanoseconds timeout, bool wake_on_enqueue) {
  MutexLock lock(&mu_);
  cv_.WaitFor(&mu_, timeout,
              [&]() REQUIRES(mu_) { return stopping_ || (wake_on_enqueue && woken_); });
}

void SharedPublisher::Run() {
  for (;;) {
    std::vector<std::string> keys, enqueued;
    {
      MutexLock lock(&mu_);
      if (stopping_) return;
      woken_ = false;  // before the look: an Enqueue after it wakes the next Sleep
      keys = queue_->Keys();
      enqueued.swap(enqueued_);
      busy_ = !keys.empty();
      cv_.NotifyAll();  // WaitIdle
    }
    for (const std::string& key : enqueued) deferred_.erase(key);
    // The first key not deferred; else sleep until the first deferral ends.
    const auto now = std::chrono::steady_clock::now();
    auto until = now + std::chrono::hours(24);
    const std::string* next = nullptr;
    for (const std::string& key : keys) {
      auto it = deferred_.find(key);
      if (it == deferred_.end() || it->second <= now) {
        next = &key;
        break;
      }
      until = std::min(until, it->second);
    }
    if (!next) {
      Sleep(until - now, /*wake_on_enqueue=*/true);
      continue;
    }
    if (!breaker_->Allow()) {
      // Looks once a second at most, so a Clock moved by hand (tests) is followed.
      Sleep(std::chrono::nanoseconds(
                std::clamp<int64_t>(breaker_->retry_in_ns(), 10'000'000, 1'000'000'000)),
            /*wake_on_enqueue=*/false);
      continue;
    }
    if (PublishOne(*next) == Outcome::kRetryLater) {
      Sleep(options_.retry_delay, /*wake_on_enqueue=*/false);
    }
  }
}

SharedPublisher::Outcome SharedPublisher::Done(const std::string& key, const std::string& why) {
  LogInfo("shared tier: " + key + ": " + why);
  deferred_.erase(key);
  if (Status st = queue_->Remove(key); !st.ok()) {
    LogError("shared tier: cannot take " + key + " off the publish queue: " + st.ToString());
    return Outcome::kRetryLater;
  }
  return Outcome::kDone;
}

SharedPublisher::Outcome SharedPublisher::PublishOne(const std::string& key) {
  // Held for the whole upload: a removal moves the directory to trash/ but
  // cannot delete it while we hold the scope.
  std::shared_ptr<Scope> scope = store_->Find(key);
  if (!scope) {
    std::shared_ptr<PendingScope> pending = store_->FindPending(key);
    if (pending) {
      // Queued by a commit under way (the listener runs before its rename):
      // its commit lock is free once the commit has ended, either way.
      MutexLock commit(pending->commit_mu());
    }
    // Again even if it was not pending: a commit may have ended in between.
    scope = store_->Find(key);
    if (!scope && pending && store_->FindPending(key)) {
      // That commit failed after queueing the key; it stays, for the next one.
      deferred_[key] = std::chrono::steady_clock::now() + options_.retry_delay;
      return Outcome::kDone;
    }
    if (!scope) return Done(key, "not published: no longer in the local cache");
  }
  Status st;
  if (Result<SharedScope> found = tier_->Find(key); found.ok()) {
    breaker_->RecordSuccess();
    return Done(key, "not published: the tier has it (from " + found->publisher + ")");
  } else {
    st = found.status();
  }
  if (st.code() == Status::Code::kNotFound) {
    breaker_->RecordSuccess();
    Result<uint64_t> sent = tier_->Publish(key, store_->layout().scope_dir(key));
    st = sent.status();
    if (sent.ok()) {
      breaker_->RecordSuccess();
      outage_logged_ = false;
      ++publishes_;
      bytes_published_ += *sent;
      return Done(key, "published to " + tier_->url() + " (" + std::to_string(*sent) + " bytes)");
    }
  }
  breaker_->Record(st);
  if (st.code() == Status::Code::kExists) {
    return Done(key, "not published: another host published it first");
  }
  if (scope->removed() || scope->key() != key) {
    return Done(key, "not published: removed or renamed during the upload");
  }
  ++publish_errors_;
  if (IsTierUnavailable(st)) {
    if (!outage_logged_) {
      LogWarning("shared tier: cannot publish " + key + ", will retry: " + st.ToString());
      outage_logged_ = true;
    }
    return Outcome::kRetryLater;  // first in line still
  }
  LogWarning("shared tier: cannot publish " + key + ", will retry: " + st.ToString());
  deferred_[key] = std::chrono::steady_clock::now() + options_.retry_delay;
  return Outcome::kDone;  // the keys after it go on
}

}  // namespace scopefs::store
