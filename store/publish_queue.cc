#include "store/publish_queue.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "store/key.h"
#include "store/layout.h"

namespace scopefs::store {
namespace {
constexpr int kFormat = 1;
constexpr uint64_t kMaxQueueBytes = uint64_t{64} << 20;
}  // namespace

Result<std::unique_ptr<PublishQueue>> PublishQueue::Open(Env* env, std::string path) {
  std::vector<std::string> keys;
  Result<std::string> text = ReadFileToString(env, path, kMaxQueueBytes);
  if (!text.ok() && text.status().code() != Status::Code::kNotFound) return text.status();
  if (text.ok()) {
    auto bad = [&](const std::string& why) {
      return Status::Corruption(path + " is not a publish queue: " + why);
    };
    nlohmann::json j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || !j.contains("format") || j["format"] != kFormat || !j.contains("keys") ||
        !j["keys"].is_array()) {
      return bad("not {\"format\": 1, \"keys\": [...]}");
    }
    for (const nlohmann::json& key : j["keys"]) {
      if (!key.is_string() || !ValidateKey(key.get<std::string>()).ok()) {
        return bad("a key is not a scope key");
      }
      keys.push_back(key.get<std::string>());
    }
  }
  return std::unique_ptr<PublishQueue>(new PublishQueue(env, std::move(path), std::move(keys)));
}

Status PublishQueue::Add(const std::string& key) {
  MutexLock lock(&mu_);
  if (std::find(keys_.begin(), keys_.end(), key) != keys_.end()) return Status::Ok();
  std::vector<std::string> keys = keys_;
  keys.push_back(key);
  return Save(std::move(keys));
}

Status PublishQueue::Remove(const std::string& key) {
  MutexLock lock(&mu_);
  std::vector<std::string> keys = keys_;
  keys.erase(std::remove(keys.begin(), keys.end(), key), keys.end());
  if (keys.size() == keys_.size()) return Status::Ok();
  return Save(std::move(keys));
}

std::vector<std::string> PublishQueue::Keys() const {
  MutexLock lock(&mu_);
  return keys_;
}

Status PublishQueue::Save(std::vector<std::string> keys) {
  const nlohmann::json j = {{"format", kFormat}, {"keys", keys}};
  RETURN_IF_ERROR(WriteFileAtomically(env_, path_, j.dump() + "\n"));
  keys_ = std::move(keys);
  return Status::Ok();
}

}  // namespace scopefs::store
