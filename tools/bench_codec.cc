// bench_codec: the chunked gzip codec against gzip(1), on one scope, in one run.
//
//   bench_codec SCOPE_DIR [--reps N] [--tmp DIR] [--chunk-kb K] [--level L]
//               [--levels A-B | --levels none]
//
// SCOPE_DIR is a scope in the input format (`scopectl gen` makes one). Each rep
// times, on SCOPE_DIR/mappings.json:
//   compress  ChunkedGzipWriter (at --level, default: ChunkedGzipOptions's)
//             fed 128 KiB pieces (as FUSE delivers writes) vs `gzip -6 -c`;
//             the input is in memory / the page cache for both
//   inflate   a sequential ReadAt of the whole text (128 KiB reads, read-ahead)
//             vs `gzip -dc` of gzip's own file
//   random    1,000 ReadAt of 4 KiB at random offsets on an empty member cache
//             (each inflates one member: the member size's cost)
//   levels    the member codec alone on one thread, every member of the text:
//             zlib level 6 (the codec before issue 13: compress, inflate with
//             zlib, and inflate with libdeflate as old stores are read now),
//             then libdeflate at each level of --levels (default 1-9)
// then prints medians and ratios, and the sizes (vs `gzip -6` of the same
// run). Last, it commits the scope once through the Store (validate +
// compress + copy + fsync). Exit status 1 if a round trip differs.
#include <stdlib.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "store/chunked_gzip_reader.h"
#include "store/chunked_gzip_writer.h"
#include "store/crc32.h"
#include "store/env.h"
#include "store/gzip_member.h"
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

// --- The member codec alone, level by level ---

// A member as the zlib codec before issue 13 wrote it: raw deflate at `level`
// between our fixed header and the CRC-32 / ISIZE trailer.
std::string ZlibMember(std::string_view input, int level) {
  z_stream zs{};
  if (deflateInit2(&zs, level, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) std::abort();
  const uLong bound = deflateBound(&zs, static_cast<uLong>(input.size()));
  std::string member(store::kGzipHeaderSize + bound + store::kGzipTrailerSize, '\0');
  std::memcpy(member.data(), store::kGzipMemberHeader, store::kGzipHeaderSize);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
  zs.avail_in = static_cast<uInt>(input.size());
  zs.next_out = reinterpret_cast<Bytef*>(member.data() + store::kGzipHeaderSize);
  zs.avail_out = static_cast<uInt>(bound);
  if (deflate(&zs, Z_FINISH) != Z_STREAM_END) std::abort();
  const size_t deflated = zs.total_out;
  deflateEnd(&zs);
  char* trailer = member.data() + store::kGzipHeaderSize + deflated;
  const uint32_t words[2] = {store::Crc32(input), static_cast<uint32_t>(input.size())};
  for (int w = 0; w < 2; ++w) {
    for (int i = 0; i < 4; ++i) trailer[4 * w + i] = static_cast<char>(words[w] >> (8 * i));
  }
  member.resize(store::kGzipHeaderSize + deflated + store::kGzipTrailerSize);
  return member;
}

// Inflates a member with zlib, as the reader before issue 13 did; false if it
// does not give back `want`.
bool ZlibInflateMatches(const std::string& member, std::string_view want, std::string* buf) {
  z_stream zs{};
  if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) std::abort();
  buf->resize(want.size());
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(member.data()) + store::kGzipHeaderSize);
  zs.avail_in = static_cast<uInt>(member.size() - store::kGzipHeaderSize - store::kGzipTrailerSize);
  zs.next_out = reinterpret_cast<Bytef*>(buf->data());
  zs.avail_out = static_cast<uInt>(buf->size());
  const int rc = inflate(&zs, Z_FINISH);
  inflateEnd(&zs);
  uint32_t crc = 0;  // the trailer's, little-endian
  for (int i = 3; i >= 0; --i) {
    crc = (crc << 8) | static_cast<unsigned char>(member[member.size() - 8 + i]);
  }
  return rc == Z_STREAM_END && zs.avail_out == 0 && crc == store::Crc32(*buf) && *buf == want;
}

struct Codec {
  std::string name;
  int level = 0;
  bool zlib = false;
  std::vector<double> compress{}, inflate{}, libdeflate_inflate{};  // seconds, one per rep
  uint64_t size = 0;
};

// One rep of every codec on `input` cut into `chunk` members; false if a round
// trip differs.
bool SweepRep(const std::string& input, size_t chunk, std::vector<Codec>* codecs) {
  std::vector<std::string_view> pieces;
  for (size_t pos = 0; pos < input.size(); pos += chunk) {
    pieces.push_back(std::string_view(input).substr(pos, chunk));
  }
  std::string buf;
  for (Codec& codec : *codecs) {
    std::vector<std::string> members(pieces.size());
    auto start = Clock::now();
    for (size_t i = 0; i < pieces.size(); ++i) {
      if (codec.zlib) {
        members[i] = ZlibMember(pieces[i], codec.level);
      } else {
        store::Result<std::string> m = store::CompressGzipMember(pieces[i], codec.level);
        if (!m.ok()) return false;
        members[i] = std::move(m).value();
      }
    }
    codec.compress.push_back(Since(start));
    codec.size = 0;
    for (const std::string& m : members) codec.size += m.size();
    bool same = true;
    if (codec.zlib) {
      start = Clock::now();
      for (size_t i = 0; i < pieces.size(); ++i) {
        same = ZlibInflateMatches(members[i], pieces[i], &buf) && same;
      }
      codec.inflate.push_back(Since(start));
    }
    start = Clock::now();
    for (size_t i = 0; i < pieces.size(); ++i) {
      store::Result<std::string> out = store::InflateGzipMember(members[i], pieces[i].size());
      same = same && out.ok() && *out == pieces[i];
    }
    (codec.zlib ? codec.libdeflate_inflate : codec.inflate).push_back(Since(start));
    if (!same) return false;
  }
  return true;
}

void PrintSweep(const std::vector<Codec>& codecs, double mb, uint64_t gzip_size, int reps) {
  std::printf("levels    one thread, every member of the text, medians of %d (same run);\n", reps);
  std::printf("          inflate includes the CRC-32 check; ratio = stored size / gzip -6\n");
  std::printf("  %-16s %10s %10s %15s %8s\n", "codec", "compress", "inflate", "stored B", "ratio");
  for (const Codec& c : codecs) {
    std::printf("  %-16s %5.1f MB/s %5.0f MB/s %15llu %8.3f\n", c.name.c_str(),
                mb / Median(c.compress), mb / Median(c.inflate),
                static_cast<unsigned long long>(c.size),
                static_cast<double>(c.size) / static_cast<double>(gzip_size));
    if (c.zlib) {
      std::printf("  %-16s %10s %5.0f MB/s   (zlib's members read by libdeflate: old stores)\n", "",
                  "", mb / Median(c.libdeflate_inflate));
    }
  }
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

int Usage() {
  std::fprintf(stderr,
               "usage: bench_codec SCOPE_DIR [--reps N] [--tmp DIR] [--chunk-kb K] [--level L]\n"
               "                   [--levels A-B | --levels none]\n");
  return 2;
}

int Main(int argc, char** argv) {
  std::string scope_dir;
  int first_level = 1, last_level = 9;  // the sweep; none when first > last
  std::string tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
  int reps = 3;
  store::ChunkedGzipOptions codec;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--reps" && i + 1 < argc) {
      reps = std::max(1, std::atoi(argv[++i]));
    } else if (arg == "--chunk-kb" && i + 1 < argc) {
      codec.chunk_size = static_cast<size_t>(std::max(1, std::atoi(argv[++i]))) << 10;
    } else if (arg == "--level" && i + 1 < argc) {
      codec.level = std::atoi(argv[++i]);
    } else if (arg == "--levels" && i + 1 < argc) {
      std::string range = argv[++i];
      if (range == "none") {
        first_level = 1, last_level = 0;
      } else if (std::sscanf(range.c_str(), "%d-%d", &first_level, &last_level) != 2 ||
                 first_level < store::kMinGzipLevel || last_level > store::kMaxGzipLevel) {
        return Usage();
      }
    } else if (arg == "--tmp" && i + 1 < argc) {
      tmp = argv[++i];
    } else if (scope_dir.empty() && !arg.starts_with("-")) {
      scope_dir = arg;
    } else {
      return Usage();
    }
  }
  if (scope_dir.empty()) {
    return Usage();
  }
  const std::string input_path = scope_dir + "/mappings.json";
  store::Result<std::string> input =
      store::ReadFileToString(store::PosixEnv(), input_path, uint64_t{16} << 30);
  if (!input.ok()) return Fail(input.status());
  const double mb = static_cast<double>(input->size()) / 1e6;

  std::vector<Codec> codecs;
  if (first_level <= last_level) {
    codecs.push_back({.name = "zlib 6 (before)", .level = 6, .zlib = true});
  }
  for (int level = first_level; level <= last_level; ++level) {
    codecs.push_back({.name = "libdeflate " + std::to_string(level), .level = level});
  }

  std::vector<double> compress, gzip_compress, inflate, gzip_inflate, random;
  Rep last;
  for (int r = 0; r < reps; ++r) {
    if (!SweepRep(*input, codec.chunk_size, &codecs)) {
      std::fprintf(stderr, "bench_codec: a member round trip differs\n");
      return 1;
    }
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
  std::printf(
      "mappings.json: %.1f MB, %zu KiB members, level %d, %d reps, medians, round trip "
      "identical\n",
      mb, codec.chunk_size >> 10, codec.level, reps);
  row("compress", compress, "gzip -6", gzip_compress);
  row("inflate", inflate, "gzip -dc", gzip_inflate);
  std::printf("size      chunked %llu B | gzip -6 %llu B | %+.2f%%\n",
              static_cast<unsigned long long>(last.size),
              static_cast<unsigned long long>(last.gzip_size),
              100.0 * (static_cast<double>(last.size) / static_cast<double>(last.gzip_size) - 1));
  if (!codecs.empty()) PrintSweep(codecs, mb, last.gzip_size, reps);
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
