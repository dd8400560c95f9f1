// bench_codec: the chunked gzip codec against gzip(1), on one scope, in one run.
//
//   bench_codec SCOPE_DIR [--reps N] [--tmp DIR] [--chunk-kb K]
//
// SCOPE_DIR is a scope in the input format (`scopectl gen` makes one). Each rep
// times, on SCOPE_DIR/mappings.json:
//   compress  ChunkedGzipWriter fed 128 KiB pieces (as FUSE delivers writes)
//             vs `gzip -6 -c`; the input is in memory / the page cache for both
//   inflate   a sequential ReadAt of the whole text (128 KiB reads, read-ahead)
//             vs `gzip -dc` of gzip's own file
//   random    1,000 ReadAt of 4 KiB at random offsets on an empty member cache
//             (each inflates one member: the member size's cost)
// then prints medians and ratios, and the sizes. Last, it commits the scope
// once through the Store (validate + compress + copy + fsync). Exit status 1
// if a round trip differs.
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "store/chunked_gzip_reader.h"
#include "store/chunked_gzip_writer.h"
#include "store/env.h"
#include "store/store.h"

namespace scopefs::tools {
namespace {

using namespace std::chrono_literals;
using store::Status;
using Clock = std::chrono::steady_clock;

constexpr size_t kPiece = 128 << 10;

double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

int Fail(const Status& s) {
  std::fprintf(stderr, "bench_codec: %s\n", s.ToString().c_str());
  return 1;
}

// Wall time of a shell command; exits the benchmark if it fails.
double TimeShell(const std::string& command) {
  auto start = Clock::now();
  if (std::system(command.c_str()) != 0) {
    std::fprintf(stderr, "bench_codec: failed: %s\n", command.c_str());
    std::exit(1);
  }
  return Since(start);
}

struct Rep {
  double compress = 0, gzip_compress = 0, inflate = 0, gzip_inflate = 0, random = 0;
  uint64_t size = 0, gzip_size = 0;
  bool same = true;
};

store::Result<Rep> RunRep(const std::string& input, const std::string& input_path,
                          const std::string& tmp, const store::ChunkedGzipOptions& codec) {
  store::Env* env = store::PosixEnv();
  const std::string ours = tmp + "/bench.chunked.gz";
  const std::string theirs = tmp + "/bench.gzip6.gz";
  Rep rep;

  ASSIGN_OR_RETURN(std::unique_ptr<store::File> out, env->Open(ours, store::OpenMode::kCreate));
  auto start = Clock::now();
  store::ChunkedGzipWriter writer(out.get(), codec);
  for (size_t pos = 0; pos < input.size(); pos += kPiece) {
    RETURN_IF_ERROR(writer.Append(std::string_view(input).substr(pos, kPiece)));
  }
  ASSIGN_OR_RETURN(store::GzipIndex index, writer.Finish());
  rep.compress = Since(start);
  rep.size = index.compressed_size;
  rep.gzip_compress = TimeShell("gzip -6 -c '" + input_path + "' > '" + theirs + "'");
  ASSIGN_OR_RETURN(store::FileInfo gzip_info, env->Stat(theirs));
  rep.gzip_size = gzip_info.size;

  ASSIGN_OR_RETURN(std::unique_ptr<store::File> in, env->Open(ours, store::OpenMode::kRead));
  store::MemberCache cache;
  store::ChunkedGzipReader reader(std::shared_ptr<const store::File>(std::move(in)), index, &cache);
  std::string buf(kPiece, '\0');
  store::ReadAheadState ra;
  uint64_t offset = 0;
  start = Clock::now();
  for (;;) {
    ASSIGN_OR_RETURN(size_t n, reader.ReadAt(offset, buf.data(), buf.size(), &ra));
    if (n == 0) break;
    rep.same = rep.same && std::memcmp(input.data() + offset, buf.data(), n) == 0;
    offset += n;
  }
  rep.inflate = Since(start);
  rep.same = rep.same && offset == input.size();
  {
    store::MemberCache empty;
    ASSIGN_OR_RETURN(std::unique_ptr<store::File> again, env->Open(ours, store::OpenMode::kRead));
    store::ChunkedGzipReader random_reader(std::shared_ptr<const store::File>(std::move(again)),
                                           index, &empty);
    std::mt19937_64 rng(1);
    start = Clock::now();
    for (int i = 0; i < 1000; ++i) {
      uint64_t at = rng() % (input.size() - 4096);
      ASSIGN_OR_RETURN(size_t n, random_reader.ReadAt(at, buf.data(), 4096));
      rep.same = rep.same && std::memcmp(input.data() + at, buf.data(), n) == 0;
    }
    rep.random = Since(start);
  }
  rep.gzip_inflate = TimeShell("gzip -dc '" + theirs + "' > /dev/null");
  (void)env->Unlink(ours);
  (void)env->Unlink(theirs);
  return rep;
}

// Commits a copy of SCOPE_DIR through a fresh store in `tmp`; returns seconds.
store::Result<double> TimeCommit(const std::string& scope_dir, const std::string& tmp) {
  store::Env* env = store::PosixEnv();
  const std::string root = tmp + "/bench-store";
  RETURN_IF_ERROR(store::RemoveAll(env, root));
  ASSIGN_OR_RETURN(std::unique_ptr<store::Store> s,
                   store::Store::Open(env, root, store::StoreOptions()));
  // Written through a pending scope as the mount would (not timed).
  ASSIGN_OR_RETURN(std::shared_ptr<store::PendingScope> pending, s->CreatePending("bench"));
  std::string buf(size_t{1} << 20, '\0');
  for (const char* name : {"nodes.bits", "links.bits", "mappings.json", "meta.json"}) {
    ASSIGN_OR_RETURN(std::unique_ptr<store::File> in,
                     env->Open(scope_dir + "/" + name, store::OpenMode::kRead));
    ASSIGN_OR_RETURN(std::shared_ptr<store::PendingFile> out, pending->Create(name, 0644, 0, 0));
    for (uint64_t offset = 0;;) {
      ASSIGN_OR_RETURN(size_t n, in->ReadAt(offset, buf.data(), buf.size()));
      if (n == 0) break;
      RETURN_IF_ERROR(out->Write(offset, std::string_view(buf.data(), n)));
      offset += n;
    }
  }
  auto start = Clock::now();
  RETURN_IF_ERROR(s->Commit("bench").status());
  double seconds = Since(start);
  s.reset();
  RETURN_IF_ERROR(store::RemoveAll(env, root));
  return seconds;
}

int Main(int argc, char** argv) {
  std::string scope_dir;
  std::string tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
  int reps = 3;
  store::ChunkedGzipOptions codec;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--reps" && i + 1 < argc) {
      reps = std::max(1, std::atoi(argv[++i]));
    } else if (arg == "--chunk-kb" && i + 1 < argc) {
      codec.chunk_size = static_cast<size_t>(std::max(1, std::atoi(argv[++i]))) << 10;
    } else if (arg == "--tmp" && i + 1 < argc) {
      tmp = argv[++i];
    } else if (scope_dir.empty() && !arg.starts_with("-")) {
      scope_dir = arg;
    } else {
      std::fprintf(stderr, "usage: bench_codec SCOPE_DIR [--reps N] [--tmp DIR]\n");
      return 2;
    }
  }
  if (scope_dir.empty()) {
    std::fprintf(stderr, "usage: bench_codec SCOPE_DIR [--reps N] [--tmp DIR]\n");
    return 2;
  }
  const std::string input_path = scope_dir + "/mappings.json";
  store::Result<std::string> input =
      store::ReadFileToString(store::PosixEnv(), input_path, uint64_t{16} << 30);
  if (!input.ok()) return Fail(input.status());
  const double mb = static_cast<double>(input->size()) / 1e6;

  std::vector<double> compress, gzip_compress, inflate, gzip_inflate, random;
  Rep last;
  for (int r = 0; r < reps; ++r) {
    store::Result<Rep> rep = RunRep(*input, input_path, tmp, codec);
    if (!rep.ok()) return Fail(rep.status());
    if (!rep->same) {
      std::fprintf(stderr, "bench_codec: round trip differs\n");
      return 1;
    }
    compress.push_back(rep->compress);
    gzip_compress.push_back(rep->gzip_compress);
    inflate.push_back(rep->inflate);
    gzip_inflate.push_back(rep->gzip_inflate);
    random.push_back(rep->random);
    last = *rep;
  }
  input = store::Result<std::string>(std::string());  // free the copy before the commit
  store::Result<double> commit = TimeCommit(scope_dir, tmp);
  if (!commit.ok()) return Fail(commit.status());

  auto row = [&](const char* what, const std::vector<double>& ours, const char* base_name,
                 const std::vector<double>& base) {
    double o = Median(ours), b = Median(base);
    std::printf("%-9s chunked %6.2f s %7.1f MB/s | %-9s %6.2f s %7.1f MB/s | %.2fx\n", what, o,
                mb / o, base_name, b, mb / b, b / o);
  };
  std::printf("mappings.json: %.1f MB, %zu KiB members, %d reps, medians, round trip identical\n",
              mb, codec.chunk_size >> 10, reps);
  row("compress", compress, "gzip -6", gzip_compress);
  row("inflate", inflate, "gzip -dc", gzip_inflate);
  std::printf("size      chunked %llu B | gzip -6 %llu B | %+.2f%%\n",
              static_cast<unsigned long long>(last.size),
              static_cast<unsigned long long>(last.gzip_size),
              100.0 * (static_cast<double>(last.size) / static_cast<double>(last.gzip_size) - 1));
  std::printf("random    %.1f us per 4 KiB ReadAt at a random offset, empty member cache\n",
              Median(random) * 1000);
  std::printf(
      "commit    %.2f s for the whole scope (validate + compress + copy + fsync), %.1f MB/s\n",
      *commit, mb / *commit);
  return 0;
}

}  // namespace
}  // namespace scopefs::tools

int main(int argc, char** argv) { return scopefs::tools::Main(argc, argv); }
