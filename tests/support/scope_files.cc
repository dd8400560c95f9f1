#include "tests/support/scope_files.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <random>
#include <stdexcept>

#include "store/layout.h"
#include "store/scope_record.h"

namespace scopefs::testing {

ScopeFiles MakeScopeFiles(uint64_t nodes, uint64_t links, uint32_t seed) {
  std::mt19937 rng(seed);
  ScopeFiles f;
  auto bits = [&](uint64_t n) {
    std::string b(store::BitsFileSize(n), '\0');
    for (uint64_t i = 0; i < n; ++i) {
      if (rng() & 1) b[i / 8] = static_cast<char>(b[i / 8] | (0x80 >> (i % 8)));
    }
    return b;
  };
  f.nodes_bits = bits(nodes);
  f.links_bits = bits(links);
  auto section = [&](const char* name, const char* prefix, uint64_t n) {
    std::string s = std::string("\"") + name + "\":{";
    for (uint64_t i = 0; i < n; ++i) {
      if (i) s += ',';
      s += "\"" + std::string(prefix) + std::to_string(i) + "-" + std::to_string(seed) +
           "\":" + std::to_string(i);
    }
    return s + "}";
  };
  f.mappings_json = "{" + section("node_id_mapping", "n", nodes) + "," +
                    section("link_id_mapping", "l", links) + "}";
  f.meta_json = "{\"total_nodes\":" + std::to_string(nodes) +
                ",\"total_links\":" + std::to_string(links) +
                ",\"config_attributes\":{\"seed\":" + std::to_string(seed) + "}}";
  return f;
}

store::Status WritePendingFile(store::PendingScope& pending, const std::string& name,
                               std::string_view data) {
  ASSIGN_OR_RETURN(std::shared_ptr<store::PendingFile> file, pending.Create(name, 0644, 0, 0));
  RETURN_IF_ERROR(file->Truncate(0));
  return file->Write(0, data);
}

store::Status WriteScopeFiles(store::PendingScope& pending, const ScopeFiles& files) {
  for (auto [name, data] : {std::pair{store::kNodesFile, &files.nodes_bits},
                            std::pair{store::kLinksFile, &files.links_bits},
                            std::pair{store::kMappingsFile, &files.mappings_json},
                            std::pair{store::kMetaFile, &files.meta_json}}) {
    if (data->empty() && name != store::kNodesFile && name != store::kLinksFile) continue;
    RETURN_IF_ERROR(WritePendingFile(pending, std::string(name), *data));
  }
  return store::Status::Ok();
}

std::unique_ptr<store::Store> OpenTestStore(store::Env* env, const store::Clock* clock) {
  store::StoreOptions options;
  options.clock = clock;
  options.commit.codec.chunk_size = 4096;
  store::Result<std::unique_ptr<store::Store>> store = store::Store::Open(env, "/store", options);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

std::shared_ptr<store::PendingScope> PendTestScope(store::Store& store, const std::string& key,
                                                   const ScopeFiles& files) {
  store::Result<std::shared_ptr<store::PendingScope>> pending = store.CreatePending(key);
  EXPECT_TRUE(pending.ok()) << pending.status().ToString();
  if (!pending.ok()) return nullptr;
  EXPECT_TRUE(WriteScopeFiles(**pending, files).ok());
  return *pending;
}

TempDir::TempDir() {
  const char* base = getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/scopefs-test-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp " + pattern);
  path_ = pattern;
}

TempDir::~TempDir() { (void)store::RemoveAll(store::PosixEnv(), path_); }

}  // namespace scopefs::testing
