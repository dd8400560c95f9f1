#include "fs/control_files.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "store/scope_record.h"

namespace scopefs::fs {
namespace {

constexpr ControlFile kFiles[] = {
    {3, "stats.json"},
    {4, "scopes.json"},
};

int64_t LastAccess(const store::Scope& scope) { return scope.last_access_ns(); }

std::string Stats(const store::Store& store) {
  auto scopes = store.List();
  uint64_t nodes = 0, links = 0;
  int64_t oldest = 0, newest = 0;
  for (const auto& scope : scopes) {
    const store::ScopeRecord& r = scope->record();
    nodes += r.total_nodes;
    links += r.total_links;
    if (oldest == 0 || r.created_ns < oldest) oldest = r.created_ns;
    newest = std::max(newest, r.created_ns);
  }
  nlohmann::json stats = {
      {"total_entries", scopes.size()},
      {"total_size", store.stored_bytes()},
      {"total_nodes", nodes},
      {"total_links", links},
      {"pending_entries", store.ListPending().size()},
      {"oldest_entry", oldest ? nlohmann::json(store::FormatIsoTime(oldest)) : nlohmann::json()},
      {"newest_entry", newest ? nlohmann::json(store::FormatIsoTime(newest)) : nlohmann::json()},
  };
  return stats.dump(2) + "\n";
}

std::string Scopes(const store::Store& store) {
  auto scopes = store.List();
  std::sort(scopes.begin(), scopes.end(), [](const auto& a, const auto& b) {
    return LastAccess(*a) != LastAccess(*b) ? LastAccess(*a) > LastAccess(*b) : a->key() < b->key();
  });
  nlohmann::json list = nlohmann::json::array();
  for (const auto& scope : scopes) list.push_back(store::UserMeta(scope->record(), scope->key(), LastAccess(*scope)));
  return list.dump(2) + "\n";
}

}  // namespace

std::span<const ControlFile> ControlFiles() { return kFiles; }

std::string GenerateControlFile(fuse_ino_t ino, const store::Store& store) {
  return ino == kFiles[0].ino ? Stats(store) : Scopes(store);
}

}  // namespace scopefs::fs
