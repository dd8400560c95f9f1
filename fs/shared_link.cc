#include "fs/shared_link.h"

#include "store/log.h"

namespace scopefs::fs {

using store::Status;

SharedLink::SharedLink(store::Store* store, std::unique_ptr<store::SharedTier> tier,
                       Options options)
    : store_(store), tier_(std::move(tier)), options_(options), breaker_(store::SystemClock()) {}

store::Result<std::unique_ptr<SharedLink>> SharedLink::Start(
    store::Store* store, std::unique_ptr<store::SharedTier> tier, Options options) {
  const Status probe = tier->Probe();
  if (probe.code() == Status::Code::kNotFound) {
    store::LogError("shared tier " + tier->url() + ": bucket not found; running local-only");
    return std::unique_ptr<SharedLink>();
  }
  std::unique_ptr<SharedLink> link(new SharedLink(store, std::move(tier), options));
  if (!probe.ok()) {
    store::LogWarning("shared tier " + link->tier_->url() + ": " + probe.message() +
                      "; local scopes serve as usual, publishes queue until it answers");
    link->breaker_.Record(probe);
  }
  ASSIGN_OR_RETURN(link->publisher_,
                   store::SharedPublisher::Start(store, link->tier_.get(), &link->breaker_, {}));
  store->SetCommitListener([p = link->publisher_.get()](const std::string& key) {
    if (Status st = p->Enqueue(key); !st.ok()) {
      store::LogError("cannot queue the publish of " + key + ": " + st.message());
    }
  });
  link->reader_ = std::make_unique<store::SharedReader>(store, link->tier_.get(), &link->breaker_);
  store::LogInfo("shared tier " + link->tier_->url() + ": publishing commits, reading through");
  return link;
}

SharedLink::~SharedLink() { Stop(); }

store::Result<std::shared_ptr<store::Scope>> SharedLink::Fetch(const std::string& key) {
  return reader_->FetchIfShared(key, std::chrono::steady_clock::now() + options_.wait);
}

store::SharedStats SharedLink::Stats() const {
  return store::CollectSharedStats(*tier_, breaker_, reader_.get(), publisher_.get(), 0);
}

void SharedLink::CancelWaits() {
  if (reader_) reader_->Cancel();
}

void SharedLink::Stop() {
  CancelWaits();
  store_->SetCommitListener(nullptr);
  if (publisher_) publisher_->Stop();
}

}  // namespace scopefs::fs
