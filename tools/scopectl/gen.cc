// scopectl gen: writes a synthetic scope directory in scopefs's input format.
//
// The content comes from SyntheticScope; this file owns the command line, OUTDIR
// (create or require empty, never clobber; remove what this run wrote if it fails)
// and the formatting of the four files through large buffers.
#include <charconv>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/env.h"
#include "store/layout.h"
#include "tools/scopectl/args.h"
#include "tools/scopectl/buffered_writer.h"
#include "tools/scopectl/commands.h"
#include "tools/scopectl/synthetic_scope.h"

namespace scopefs::tools {
namespace {

constexpr char kUsage[] =
    "usage: scopectl gen --nodes N --links M [--seed S] [--coverage F]\n"
    "                    [--key-prefix P] [--quiet] OUTDIR\n"
    "\n"
    "Writes a synthetic scope in scopefs's input format to OUTDIR: nodes.bits,\n"
    "links.bits, mappings.json (compact JSON) and meta.json. OUTDIR is created if\n"
    "missing (its parent must exist); an existing OUTDIR must be empty. The same\n"
    "arguments always give the same bytes.\n"
    "\n"
    "  --nodes N         number of nodes, 0..4294967296\n"
    "  --links M         number of links, at most N*(N-1)\n"
    "  --seed S          any 64-bit unsigned number (default 1)\n"
    "  --coverage F      fraction of bits set in both bits files, 0..1 (default 0.5)\n"
    "  --key-prefix P    prefix of node ids (default \"n:\"); printable ASCII, no '\"' or '\\'\n"
    "  --quiet           print nothing on success\n"
    "  -h, --help        show this help\n"
    "\n"
    "Node i is P followed by 12 hex digits (a seed-keyed permutation of i, so ids are\n"
    "distinct) and has index i. Link j is \"<node a>-><node b>\" for the j-th pair of a\n"
    "seed-keyed permutation of all ordered pairs of distinct nodes, and has index j.\n";

constexpr OptionSpec kOptions[] = {
    {"nodes", true},      {"links", true},  {"seed", true},  {"coverage", true},
    {"key-prefix", true}, {"quiet", false}, {"help", false},
};

struct GenRequest {
  SyntheticScope::Params params;
  std::string outdir;
  bool quiet = false;
};

// The value of a count option: `fallback` if it is absent (Invalid if there is none).
store::Result<uint64_t> CountOption(const ParsedArgs& args, std::string_view name,
                                    std::optional<uint64_t> fallback) {
  std::optional<std::string_view> text = args.Get(name);
  if (!text) {
    if (fallback) return *fallback;
    return store::Status::Invalid("--" + std::string(name) + " is required");
  }
  std::optional<uint64_t> value = ParseUint64(*text);
  if (!value) {
    return store::Status::Invalid("--" + std::string(name) +
                                  " wants a non-negative integer, not '" + std::string(*text) +
                                  "'");
  }
  return *value;
}

store::Result<GenRequest> ParseRequest(int argc, char** argv) {
  ASSIGN_OR_RETURN(ParsedArgs args, ParseArgs(argc, argv, kOptions));
  GenRequest req;
  ASSIGN_OR_RETURN(req.params.nodes, CountOption(args, "nodes", std::nullopt));
  ASSIGN_OR_RETURN(req.params.links, CountOption(args, "links", std::nullopt));
  ASSIGN_OR_RETURN(req.params.seed, CountOption(args, "seed", req.params.seed));
  if (std::optional<std::string_view> text = args.Get("coverage")) {
    std::optional<double> value = ParseDouble(*text);
    if (!value) {
      return store::Status::Invalid("--coverage wants a number, not '" + std::string(*text) + "'");
    }
    req.params.coverage = *value;
  }
  if (std::optional<std::string_view> text = args.Get("key-prefix")) req.params.key_prefix = *text;
  req.quiet = args.Has("quiet");
  if (args.positional.size() != 1) {
    return store::Status::Invalid(args.positional.empty()
                                      ? "OUTDIR is missing"
                                      : "expected one OUTDIR, got " +
                                            std::to_string(args.positional.size()));
  }
  req.outdir = args.positional[0];
  while (req.outdir.size() > 1 && req.outdir.back() == '/') req.outdir.pop_back();
  return req;
}

// Files this run created: removed, with OUTDIR if this run made it, unless Keep() is
// called, so a failed run leaves OUTDIR as it found it.
class OutputGuard {
 public:
  explicit OutputGuard(store::Env* env) : env_(env) {}
  OutputGuard(const OutputGuard&) = delete;
  OutputGuard& operator=(const OutputGuard&) = delete;
  ~OutputGuard() {
    if (kept_) return;
    // Best effort: the error that got us here is what the user needs to see.
    for (const std::string& path : files_) (void)env_->Unlink(path);
    if (!made_dir_.empty()) (void)env_->RemoveDir(made_dir_);
  }

  void MadeDir(std::string path) { made_dir_ = std::move(path); }
  void MadeFile(std::string path) { files_.push_back(std::move(path)); }
  void Keep() { kept_ = true; }

 private:
  store::Env* const env_;
  std::string made_dir_;
  std::vector<std::string> files_;
  bool kept_ = false;
};

store::Status PrepareOutdir(store::Env* env, const std::string& outdir, OutputGuard* guard) {
  store::Result<store::FileInfo> info = env->Stat(outdir);
  if (!info.ok()) {
    if (info.status().code() != store::Status::Code::kNotFound) return info.status();
    RETURN_IF_ERROR(env->MakeDir(outdir));
    guard->MadeDir(outdir);
    return store::Status::Ok();
  }
  if (!info->is_dir) return store::Status::Exists(outdir + " exists and is not a directory");
  ASSIGN_OR_RETURN(std::vector<std::string> names, env->ListDir(outdir));
  if (!names.empty()) {
    return store::Status::Exists(outdir + " is not empty; refusing to overwrite it");
  }
  return store::Status::Ok();
}

// Creates outdir/name (never replacing a file) and fills it with `fill(writer)`.
// Returns the file's size.
template <typename Fill>
store::Result<uint64_t> WriteFile(store::Env* env, const std::string& outdir, std::string_view name,
                                  OutputGuard* guard, Fill fill) {
  const std::string path = store::Layout::Join(outdir, name);
  ASSIGN_OR_RETURN(std::unique_ptr<store::File> file,
                   env->Open(path, store::OpenMode::kCreateExclusive));
  guard->MadeFile(path);
  BufferedWriter writer(file.get());
  fill(writer);
  RETURN_IF_ERROR(writer.Finish());
  return writer.size();
}

// bitarray(endian='big').tofile(): bit i is bit 7 - i%8 of byte i/8; padding is zero.
template <typename BitFn>
void FillBits(BufferedWriter& out, uint64_t count, BitFn bit) {
  char chunk[4096];
  size_t used = 0;
  for (uint64_t base = 0; base < count && out.ok(); base += 8) {
    unsigned byte = 0;
    for (uint64_t i = base; i < base + 8 && i < count; ++i) {
      if (bit(i)) byte |= 0x80u >> (i - base);
    }
    chunk[used++] = static_cast<char>(byte);
    if (used == sizeof(chunk)) {
      out.Append({chunk, used});
      used = 0;
    }
  }
  out.Append({chunk, used});
}

// One member of a mapping object: `"<id>":<index>`, after a comma unless it is the first.
template <typename IdFn>
void FillMapping(BufferedWriter& out, uint64_t count, IdFn id) {
  char entry[SyntheticScope::kMaxIdLength + 32];
  for (uint64_t i = 0; i < count && out.ok(); ++i) {
    size_t n = 0;
    if (i > 0) entry[n++] = ',';
    entry[n++] = '"';
    n += id(i, entry + n);
    entry[n++] = '"';
    entry[n++] = ':';
    n = static_cast<size_t>(std::to_chars(entry + n, entry + sizeof(entry), i).ptr - entry);
    out.Append({entry, n});
  }
}

struct GenSizes {
  uint64_t nodes_bits = 0;
  uint64_t links_bits = 0;
  uint64_t mappings = 0;
  uint64_t meta = 0;
};

store::Result<GenSizes> Generate(store::Env* env, const SyntheticScope& scope,
                                 const std::string& outdir) {
  const SyntheticScope::Params& p = scope.params();
  auto nodes_bits = [&](BufferedWriter& out) {
    FillBits(out, p.nodes, [&](uint64_t i) { return scope.NodeBit(i); });
  };
  auto links_bits = [&](BufferedWriter& out) {
    FillBits(out, p.links, [&](uint64_t j) { return scope.LinkBit(j); });
  };
  auto mappings = [&](BufferedWriter& out) {
    out.Append("{\"node_id_mapping\":{");
    FillMapping(out, p.nodes, [&](uint64_t i, char* buf) { return scope.NodeId(i, buf); });
    out.Append("},\"link_id_mapping\":{");
    FillMapping(out, p.links, [&](uint64_t j, char* buf) { return scope.LinkId(j, buf); });
    out.Append("}}");
  };
  auto meta = [&](BufferedWriter& out) { out.Append(scope.MetaJson()); };

  OutputGuard guard(env);
  RETURN_IF_ERROR(PrepareOutdir(env, outdir, &guard));
  GenSizes sizes;
  // meta.json last, so that a directory holding it is a finished one.
  ASSIGN_OR_RETURN(sizes.nodes_bits, WriteFile(env, outdir, store::kNodesFile, &guard, nodes_bits));
  ASSIGN_OR_RETURN(sizes.links_bits, WriteFile(env, outdir, store::kLinksFile, &guard, links_bits));
  ASSIGN_OR_RETURN(sizes.mappings, WriteFile(env, outdir, store::kMappingsFile, &guard, mappings));
  ASSIGN_OR_RETURN(sizes.meta, WriteFile(env, outdir, store::kMetaFile, &guard, meta));
  guard.Keep();
  return sizes;
}

}  // namespace

int RunGen(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--") break;
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return kExitOk;
    }
  }
  store::Result<GenRequest> req = ParseRequest(argc, argv);
  store::Result<SyntheticScope> scope =
      req.ok() ? SyntheticScope::Create(req->params) : store::Result<SyntheticScope>(req.status());
  if (!scope.ok()) {
    std::fprintf(stderr, "scopectl gen: %s\n\n%s", scope.status().message().c_str(), kUsage);
    return kExitUsage;
  }

  auto start = std::chrono::steady_clock::now();
  store::Result<GenSizes> sizes = Generate(store::PosixEnv(), *scope, req->outdir);
  if (!sizes.ok()) {
    std::fprintf(stderr, "scopectl gen: %s\n", sizes.status().message().c_str());
    return kExitFailure;
  }
  std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  if (!req->quiet) {
    std::printf(
        "wrote %s: nodes.bits %llu B, links.bits %llu B, mappings.json %llu B, meta.json %llu B "
        "in %.2f s\n",
        req->outdir.c_str(), static_cast<unsigned long long>(sizes->nodes_bits),
        static_cast<unsigned long long>(sizes->links_bits),
        static_cast<unsigned long long>(sizes->mappings),
        static_cast<unsigned long long>(sizes->meta), elapsed.count());
  }
  return kExitOk;
}

}  // namespace scopefs::tools
