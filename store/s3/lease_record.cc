#include "store/s3/lease_record.h"

#include <nlohmann/json.hpp>

#include "store/key.h"

namespace scopefs::s3 {
namespace {

using store::Result;
using store::SharedLease;
using store::Status;

constexpr size_t kMaxHolderLength = 256;

Status Bad(std::string_view key, const std::string& what) {
  return Status::Corruption("lease on " + store::Printable(key) + ": " + what);
}

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return !s.empty();
}

bool IsPrintable(std::string_view s) {
  for (char c : s) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace

std::string SerializeLeaseRecord(const SharedLease& lease) {
  const nlohmann::json j = {{"format", kLeaseFormat},
                            {"key", lease.key},
                            {"id", lease.id},
                            {"holder", lease.holder},
                            {"expires_ns", lease.expires_ns}};
  return j.dump() + "\n";
}

Result<SharedLease> ParseLeaseRecord(std::string_view text, std::string_view key) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Bad(key, "not a JSON object");
  if (!j.contains("format") || !j["format"].is_number_integer() ||
      j["format"].get<int64_t>() != kLeaseFormat) {
    return Bad(key, "format is not " + std::to_string(kLeaseFormat));
  }
  for (const char* name : {"key", "id", "holder"}) {
    if (!j.contains(name) || !j[name].is_string()) {
      return Bad(key, std::string(name) + " is missing");
    }
  }
  if (!j.contains("expires_ns") || !j["expires_ns"].is_number_integer()) {
    return Bad(key, "expires_ns is missing");
  }
  SharedLease lease{j["key"].get<std::string>(), j["id"].get<std::string>(),
                    j["holder"].get<std::string>(), j["expires_ns"].get<int64_t>()};
  if (lease.key != key) return Bad(key, "it names key " + store::Printable(lease.key));
  if (lease.id.size() != 32 || !IsLowerHex(lease.id)) return Bad(key, "id is not 32 hex digits");
  if (lease.holder.empty() || lease.holder.size() > kMaxHolderLength ||
      !IsPrintable(lease.holder)) {
    return Bad(key, "holder is not 1 to 256 printable characters");
  }
  return lease;
}

}  // namespace scopefs::s3
