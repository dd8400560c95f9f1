// Tests ChunkedGzipWriter and ChunkedGzipReader together, against the real
// filesystem (PosixEnv) so that /bin/gzip can check the files too.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "store/chunked_gzip_reader.h"
#include "store/chunked_gzip_writer.h"
#include "store/env.h"
#include "tests/support/fault_env.h"

namespace scopefs::store {
namespace {

constexpr size_t kChunk = 4096;

// Text shaped like mappings JSON: compressible but not trivially.
std::string JsonLike(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string out;
  out.reserve(n + 64);
  out += "{";
  char entry[64];
  while (out.size() < n) {
    int len = std::snprintf(entry, sizeof(entry), "\"n:%012llx\": %u, ",
                            static_cast<unsigned long long>(rng() & 0xffffffffffffULL),
                            static_cast<unsigned>(rng() % 100000));
    out.append(entry, static_cast<size_t>(len));
  }
  out.resize(n);
  return out;
}

// Runs a shell command; returns its stdout and sets `*exit_code`.
std::string RunShell(const std::string& command, int* exit_code) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    *exit_code = -1;
    return out;
  }
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
  *exit_code = ::pclose(pipe);
  return out;
}

class ChunkedGzipTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmp != nullptr ? tmp : "/tmp") + "/chunked_gzip_test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/mappings.json.gz";
  }
  void TearDown() override { ASSERT_TRUE(RemoveAll(PosixEnv(), dir_).ok()); }

  // Writes `data` to path_ in random-sized appends of up to `max_piece` bytes.
  GzipIndex Write(const std::string& data, size_t chunk_size, size_t max_piece = 3 * kChunk) {
    Result<std::unique_ptr<File>> file = PosixEnv()->Open(path_, OpenMode::kCreate);
    EXPECT_TRUE(file.ok());
    ChunkedGzipWriter writer(file->get(), {.chunk_size = chunk_size});
    std::mt19937_64 rng(data.size());
    for (size_t pos = 0; pos < data.size();) {
      size_t piece = std::min<size_t>(1 + rng() % max_piece, data.size() - pos);
      EXPECT_TRUE(writer.Append(std::string_view(data).substr(pos, piece)).ok());
      pos += piece;
    }
    EXPECT_EQ(writer.uncompressed_size(), data.size());
    Result<GzipIndex> index = writer.Finish();
    EXPECT_TRUE(index.ok()) << index.status().ToString();
    EXPECT_TRUE((*file)->Sync().ok());
    return index.ok() ? *index : GzipIndex();
  }

  std::shared_ptr<const File> OpenForRead() {
    Result<std::unique_ptr<File>> file = PosixEnv()->Open(path_, OpenMode::kRead);
    EXPECT_TRUE(file.ok());
    return file.ok() ? std::shared_ptr<const File>(std::move(*file)) : nullptr;
  }

  // Reads the whole stream sequentially in `piece`-byte reads, with read-ahead.
  static std::string ReadAll(const ChunkedGzipReader& reader, size_t piece) {
    ReadAheadState ra;
    std::string out;
    std::string buf(piece, '\0');
    for (;;) {
      Result<size_t> n = reader.ReadAt(out.size(), buf.data(), buf.size(), &ra);
      EXPECT_TRUE(n.ok()) << n.status().ToString();
      if (!n.ok() || *n == 0) break;
      out.append(buf.data(), *n);
    }
    return out;
  }

  void FlipByte(uint64_t offset) {
    std::unique_ptr<File> file = std::move(PosixEnv()->Open(path_, OpenMode::kReadWrite)).value();
    char c;
    ASSERT_TRUE(ReadExactly(*file, offset, &c, 1, "flip").ok());
    c = static_cast<char>(c ^ 0x10);
    ASSERT_TRUE(file->WriteAt(offset, &c, 1).ok());
  }

  std::string dir_;
  std::string path_;
  MemberCache cache_{1 << 20};
};

TEST_F(ChunkedGzipTest, RoundTripAtChunkBoundaries) {
  for (size_t size : {size_t{0}, size_t{1}, kChunk - 1, kChunk, kChunk + 1, 37 * kChunk + 123}) {
    SCOPED_TRACE("size " + std::to_string(size));
    const std::string data = JsonLike(size, size);
    GzipIndex index = Write(data, kChunk);
    EXPECT_TRUE(ValidateGzipIndex(index).ok());
    EXPECT_EQ(index.uncompressed_size, size);
    EXPECT_EQ(index.members.size(), size == 0 ? 1 : (size + kChunk - 1) / kChunk);
    Result<FileInfo> info = PosixEnv()->Stat(path_);
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->size, index.compressed_size);

    ChunkedGzipReader reader(OpenForRead(), index, &cache_);
    EXPECT_TRUE(reader.VerifyAll().ok());
    EXPECT_EQ(ReadAll(reader, 1000), data);

    int rc = 0;
    EXPECT_EQ(RunShell("gzip -dc '" + path_ + "'", &rc), data);
    EXPECT_EQ(rc, 0);
    RunShell("gzip -t '" + path_ + "'", &rc);
    EXPECT_EQ(rc, 0);
  }
}

TEST_F(ChunkedGzipTest, EveryMemberHasTheCanonicalHeader) {
  GzipIndex index = Write(JsonLike(10 * kChunk, 3), kChunk);
  std::shared_ptr<const File> file = OpenForRead();
  for (const GzipMember& m : index.members) {
    char header[kGzipHeaderSize];
    ASSERT_TRUE(ReadExactly(*file, m.compressed_offset, header, sizeof(header), "h").ok());
    EXPECT_EQ(std::string(header, sizeof(header)),
              std::string(reinterpret_cast<const char*>(kGzipMemberHeader), kGzipHeaderSize));
  }
}

TEST_F(ChunkedGzipTest, MegabyteChunksWithFuseSizedWrites) {
  const std::string data = JsonLike((size_t{8} << 20) + 12345, 8);
  GzipIndex index = Write(data, size_t{1} << 20, size_t{1} << 20);
  EXPECT_EQ(index.members.size(), 9u);
  // JSON-like text compresses well; a broken writer would not.
  EXPECT_LT(index.compressed_size, data.size() / 2);
  ChunkedGzipReader reader(OpenForRead(), index, &cache_);
  EXPECT_EQ(ReadAll(reader, 128 << 10), data);
  int rc = 0;
  EXPECT_EQ(RunShell("gzip -dc '" + path_ + "'", &rc), data);
  EXPECT_EQ(rc, 0);
}

TEST_F(ChunkedGzipTest, PythonGzipReadsTheWholeFile) {
  if (std::system("python3 -c 'import gzip' 2>/dev/null") != 0) {
    GTEST_SKIP() << "no python3 with the gzip module";
  }
  const std::string data = JsonLike(20 * kChunk + 7, 11);
  Write(data, kChunk);
  int rc = 0;
  std::string out = RunShell(
      "python3 -c 'import gzip, sys; sys.stdout.buffer.write(gzip.open(sys.argv[1]).read())' '" +
          path_ + "'",
      &rc);
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(out, data);
}

TEST_F(ChunkedGzipTest, RandomReadsMatchTheInput) {
  const std::string data = JsonLike(50 * kChunk + 77, 5);
  const GzipIndex index = Write(data, kChunk);  // before the open: arguments have no order
  ChunkedGzipReader reader(OpenForRead(), index, &cache_);
  std::mt19937_64 rng(42);
  std::string buf(5 * kChunk, '\0');
  for (int i = 0; i < 1000; ++i) {
    uint64_t offset;
    size_t n = 1 + rng() % buf.size();
    switch (i % 5) {
      case 0:  // straddle a member boundary
        offset = (1 + rng() % 50) * kChunk - 1 - rng() % 16;
        break;
      case 1:  // at or past the end
        offset = data.size() + rng() % 3;
        break;
      case 2: offset = uint64_t{1} << 62; break;
      default: offset = rng() % data.size();
    }
    Result<size_t> got = reader.ReadAt(offset, buf.data(), n);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    size_t want = offset >= data.size() ? 0 : std::min<size_t>(n, data.size() - offset);
    ASSERT_EQ(*got, want) << "offset " << offset << " n " << n;
    if (want > 0) {
      ASSERT_EQ(std::string_view(buf.data(), *got), std::string_view(data).substr(offset, want));
    }
  }
}

TEST_F(ChunkedGzipTest, ConcurrentReadersWithABoundedCache) {
  const std::string data = JsonLike(64 * kChunk + 5, 6);
  MemberCache small(8 * kChunk);
  const GzipIndex index = Write(data, kChunk);  // before the open: arguments have no order
  ChunkedGzipReader reader(OpenForRead(), index, &small);
  std::atomic<int> bad{0};
  std::atomic<bool> over_budget{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(t);
      ReadAheadState ra;  // thread 0 also reads ahead
      std::string buf(3 * kChunk, '\0');
      for (int i = 0; i < 300; ++i) {
        uint64_t offset = t == 0 ? (i * buf.size()) % data.size() : rng() % data.size();
        size_t n = 1 + rng() % buf.size();
        Result<size_t> got = reader.ReadAt(offset, buf.data(), n, t == 0 ? &ra : nullptr);
        size_t want = std::min<size_t>(n, data.size() - offset);
        if (!got.ok() || *got != want ||
            std::string_view(buf.data(), want) != std::string_view(data).substr(offset, want)) {
          ++bad;
        }
        if (small.bytes_cached() > small.capacity()) over_budget = true;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_FALSE(over_budget.load());
}

TEST_F(ChunkedGzipTest, MemoryStaysBoundedAndIsFreedWithTheReader) {
  const std::string data = JsonLike(100 * kChunk, 7);
  MemberCache small(5 * kChunk);
  GzipIndex index = Write(data, kChunk);
  {
    ChunkedGzipReader reader(OpenForRead(), index, &small);
    ReadAheadState ra;
    std::string buf(kChunk / 3, '\0');
    for (uint64_t offset = 0; offset < data.size(); offset += buf.size()) {
      Result<size_t> n = reader.ReadAt(offset, buf.data(), buf.size(), &ra);
      ASSERT_TRUE(n.ok());
      ASSERT_EQ(std::string_view(buf.data(), *n), std::string_view(data).substr(offset, *n));
      ASSERT_LE(small.bytes_cached(), small.capacity());
    }
  }
  EXPECT_EQ(small.bytes_cached(), 0u);
}

// Corrupts the file (or its index) with `damage`, then expects member `bad`, and
// only it, to fail with Corruption naming it.
class ChunkedGzipCorruptionTest : public ChunkedGzipTest {
 protected:
  void ExpectCorruptMember(const GzipIndex& index, size_t bad, const std::string& reason) {
    ChunkedGzipReader reader(OpenForRead(), index, &cache_);
    std::string buf(kChunk, '\x7f');
    Result<size_t> got = reader.ReadAt(index.members[bad].uncompressed_offset, buf.data(), 10);
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.status().code(), Status::Code::kCorruption);
    const std::string prefix = "mappings member " + std::to_string(bad) + " at offset " +
                               std::to_string(index.members[bad].compressed_offset) + ": ";
    EXPECT_EQ(got.status().message().substr(0, prefix.size()), prefix) << got.status().ToString();
    EXPECT_NE(got.status().message().find(reason), std::string::npos) << got.status().ToString();
    EXPECT_EQ(buf, std::string(kChunk, '\x7f'));  // nothing copied
    EXPECT_EQ(reader.VerifyAll().code(), Status::Code::kCorruption);
    size_t good = bad == 0 ? 1 : 0;
    EXPECT_TRUE(reader.ReadAt(index.members[good].uncompressed_offset, buf.data(), 10).ok());
  }
  const std::string data_ = JsonLike(6 * kChunk + 100, 9);
};

TEST_F(ChunkedGzipCorruptionTest, FlippedDeflateByte) {
  GzipIndex index = Write(data_, kChunk);
  FlipByte(index.members[2].compressed_offset + kGzipHeaderSize + 40);
  ExpectCorruptMember(index, 2, "");
}

TEST_F(ChunkedGzipCorruptionTest, FlippedHeaderByte) {
  GzipIndex index = Write(data_, kChunk);
  FlipByte(index.members[3].compressed_offset + 4);  // mtime: zlib itself would not care
  ExpectCorruptMember(index, 3, "bad gzip member header");
}

TEST_F(ChunkedGzipCorruptionTest, FlippedCrcByte) {
  GzipIndex index = Write(data_, kChunk);
  FlipByte(index.members[1].compressed_offset + index.MemberCompressedSize(1) - 7);
  ExpectCorruptMember(index, 1, "CRC-32 mismatch");
}

TEST_F(ChunkedGzipCorruptionTest, FlippedIsizeByte) {
  GzipIndex index = Write(data_, kChunk);
  FlipByte(index.members[0].compressed_offset + index.MemberCompressedSize(0) - 2);
  ExpectCorruptMember(index, 0, "ISIZE mismatch");
}

TEST_F(ChunkedGzipCorruptionTest, TruncatedFile) {
  GzipIndex index = Write(data_, kChunk);
  std::unique_ptr<File> file = std::move(PosixEnv()->Open(path_, OpenMode::kReadWrite)).value();
  ASSERT_TRUE(file->Truncate(index.compressed_size - 3).ok());
  ExpectCorruptMember(index, index.members.size() - 1, "file ends after");
}

TEST_F(ChunkedGzipCorruptionTest, MemberBoundaryOffByOne) {
  GzipIndex index = Write(data_, kChunk);
  index.members[2].compressed_offset += 1;  // member 1 now claims a byte of member 2
  ExpectCorruptMember(index, 1, "");
}

TEST_F(ChunkedGzipCorruptionTest, IndexClaimsWrongUncompressedSize) {
  GzipIndex index = Write(data_, kChunk);
  index.uncompressed_size -= 1;  // the last member inflates to one byte more
  ExpectCorruptMember(index, index.members.size() - 1, "inflates to more than");
}

TEST_F(ChunkedGzipTest, VerifyAllNoticesTrailingBytes) {
  GzipIndex index = Write(JsonLike(3 * kChunk, 1), kChunk);
  std::unique_ptr<File> file = std::move(PosixEnv()->Open(path_, OpenMode::kReadWrite)).value();
  ASSERT_TRUE(file->WriteAt(index.compressed_size, "x", 1).ok());
  ChunkedGzipReader reader(OpenForRead(), index, &cache_);
  EXPECT_EQ(reader.VerifyAll().code(), Status::Code::kCorruption);
}

TEST_F(ChunkedGzipTest, InvalidIndexFailsEveryRead) {
  GzipIndex index = Write(JsonLike(3 * kChunk, 1), kChunk);
  index.members.pop_back();
  ChunkedGzipReader reader(OpenForRead(), index, &cache_);
  char c;
  EXPECT_EQ(reader.ReadAt(0, &c, 1).status().code(), Status::Code::kCorruption);
  EXPECT_EQ(reader.VerifyAll().code(), Status::Code::kCorruption);
}

TEST_F(ChunkedGzipTest, WriterRefusesMoreThanTheLimit) {
  Result<std::unique_ptr<File>> file = PosixEnv()->Open(path_, OpenMode::kCreate);
  ASSERT_TRUE(file.ok());
  ChunkedGzipWriter writer(file->get(), {.chunk_size = kChunk, .max_uncompressed = 10000});
  ASSERT_TRUE(writer.Append(std::string(6000, 'a')).ok());
  Status s = writer.Append(std::string(5000, 'b'));
  EXPECT_EQ(s.code(), Status::Code::kTooBig);
  EXPECT_NE(s.message().find("10000"), std::string::npos) << s.ToString();
  EXPECT_EQ(writer.uncompressed_size(), 6000u);
  EXPECT_EQ(writer.Append("c").code(), Status::Code::kTooBig);  // poisoned
  EXPECT_EQ(writer.Finish().status().code(), Status::Code::kTooBig);
}

TEST_F(ChunkedGzipTest, WriterAcceptsExactlyTheLimitAndNotAfterFinish) {
  Result<std::unique_ptr<File>> file = PosixEnv()->Open(path_, OpenMode::kCreate);
  ASSERT_TRUE(file.ok());
  ChunkedGzipWriter writer(file->get(), {.chunk_size = kChunk, .max_uncompressed = 10000});
  ASSERT_TRUE(writer.Append(std::string(10000, 'a')).ok());
  ASSERT_TRUE(writer.Finish().ok());
  EXPECT_EQ(writer.Append("").code(), Status::Code::kInvalid);
  EXPECT_EQ(writer.Finish().status().code(), Status::Code::kInvalid);
}

TEST_F(ChunkedGzipTest, WriterPropagatesFileErrorsAndStaysFailed) {
  scopefs::testing::FaultEnv env(PosixEnv());
  Result<std::unique_ptr<File>> file = env.Open(path_, OpenMode::kCreate);
  ASSERT_TRUE(file.ok());
  ChunkedGzipWriter writer(file->get(), {.chunk_size = kChunk});
  env.FailAt(3, ENOSPC, /*persistent=*/false);  // the third member's write
  const std::string data = JsonLike(40 * kChunk, 2);
  Status s;
  for (size_t pos = 0; pos < data.size() && s.ok(); pos += 1000) {
    s = writer.Append(std::string_view(data).substr(pos, 1000));
  }
  if (s.ok()) s = writer.Finish().status();
  EXPECT_EQ(s.code(), Status::Code::kNoSpace) << s.ToString();
  EXPECT_EQ(writer.Append("x").code(), Status::Code::kNoSpace);
  EXPECT_EQ(writer.Finish().status().code(), Status::Code::kNoSpace);
}

TEST_F(ChunkedGzipTest, WriterDestroyedWithoutFinishLeavesWholeMembers) {
  const std::string data = JsonLike(30 * kChunk + 9, 4);
  {
    Result<std::unique_ptr<File>> file = PosixEnv()->Open(path_, OpenMode::kCreate);
    ASSERT_TRUE(file.ok());
    ChunkedGzipWriter writer(file->get(), {.chunk_size = kChunk});
    ASSERT_TRUE(writer.Append(data).ok());
  }
  // The destructor waited for its tasks and wrote nothing half-way: the file is a
  // run of complete members holding a prefix of the input.
  int rc = 0;
  std::string out = RunShell("gzip -dc '" + path_ + "'", &rc);
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(out.size() % kChunk, 0u);
  EXPECT_EQ(out, data.substr(0, out.size()));
}

}  // namespace
}  // namespace scopefs::store
