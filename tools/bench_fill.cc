// bench_fill: fills a store directory with N tiny committed scopes, offline,
// through the store library (as the mount would commit them), for the
// benchmarks of many scopes.
//
//   bench_fill STORE_DIR N
#include <cstdio>
#include <cstdlib>
#include <string>

#include "store/store.h"

namespace scopefs::tools {
namespace {

store::Status Fill(const std::string& root, int n) {
  store::StoreOptions options;
  options.limits.max_entries = static_cast<uint64_t>(n) + 1;
  ASSIGN_OR_RETURN(std::unique_ptr<store::Store> s,
                   store::Store::Open(store::PosixEnv(), root, options));
  const std::string mappings = R"({"node_id_mapping":{"n:0":0},"link_id_mapping":{"n:0->n:0":0}})";
  for (int i = 0; i < n; ++i) {
    const std::string key = "scope-" + std::to_string(i);
    ASSIGN_OR_RETURN(std::shared_ptr<store::PendingScope> p, s->CreatePending(key));
    for (auto [name, data] :
         {std::pair<const char*, std::string>{"nodes.bits", "\x80"},
          {"links.bits", "\x80"},
          {"mappings.json", mappings},
          {"meta.json", R"({"config_attributes":{"i":)" + std::to_string(i) + "}}"}}) {
      ASSIGN_OR_RETURN(std::shared_ptr<store::PendingFile> f, p->Create(name, 0644, 0, 0));
      RETURN_IF_ERROR(f->Write(0, data));
    }
    RETURN_IF_ERROR(s->Commit(key).status());
  }
  return store::Status::Ok();
}

}  // namespace
}  // namespace scopefs::tools

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: bench_fill STORE_DIR N\n");
    return 2;
  }
  scopefs::store::Status st = scopefs::tools::Fill(argv[1], std::atoi(argv[2]));
  if (!st.ok()) {
    std::fprintf(stderr, "bench_fill: %s\n", st.ToString().c_str());
    return 1;
  }
  return 0;
}
