// Tests store/gzip_member.h against zlib in both directions: members written by
// libdeflate inflate with zlib's gzip decoder, and members written the way the
// zlib codec before issue 13 wrote them (raw deflate between our fixed header
// and trailer) inflate with InflateGzipMember and read through a
// ChunkedGzipReader, so old stores stay readable. Damage gives the same
// Corruption reasons whichever codec wrote the member.
#include "store/gzip_member.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "store/chunked_gzip_reader.h"
#include "store/chunked_gzip_writer.h"
#include "store/crc32.h"
#include "store/gzip_index.h"
#include "store/member_cache.h"
#include "tests/support/mem_env.h"

namespace scopefs::store {
namespace {

// Text shaped like mappings JSON, with some incompressible runs.
std::string MappingsLike(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string out = "{\"node_id_mapping\":{";
  while (out.size() < n) {
    out += "\"" + std::to_string(rng() % 1000000000) + "\":" + std::to_string(rng() % 5000000);
    out += rng() % 50 == 0 ? std::string(1 + rng() % 40, static_cast<char>(rng())) : ",";
  }
  out.resize(n);
  return out;
}

// A member exactly as the zlib codec wrote it before issue 13.
std::string ZlibMember(std::string_view input, int level) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, level, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  const uLong bound = deflateBound(&zs, static_cast<uLong>(input.size()));
  std::string member(kGzipHeaderSize + bound + kGzipTrailerSize, '\0');
  std::memcpy(member.data(), kGzipMemberHeader, kGzipHeaderSize);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
  zs.avail_in = static_cast<uInt>(input.size());
  zs.next_out = reinterpret_cast<Bytef*>(member.data() + kGzipHeaderSize);
  zs.avail_out = static_cast<uInt>(bound);
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  const size_t deflated = zs.total_out;
  deflateEnd(&zs);
  // zlib's own crc32, not store/crc32.h: the trailer must not depend on the code under test.
  const uint32_t words[2] = {
      static_cast<uint32_t>(
          crc32(0, reinterpret_cast<const Bytef*>(input.data()), static_cast<uInt>(input.size()))),
      static_cast<uint32_t>(input.size())};
  char* trailer = member.data() + kGzipHeaderSize + deflated;
  for (int w = 0; w < 2; ++w) {
    for (int i = 0; i < 4; ++i) trailer[4 * w + i] = static_cast<char>(words[w] >> (8 * i));
  }
  member.resize(kGzipHeaderSize + deflated + kGzipTrailerSize);
  return member;
}

// Inflates a whole gzip member or file with zlib's gzip decoder (which checks
// the header, CRC-32 and ISIZE itself); false if zlib finds anything wrong.
bool ZlibGunzip(const std::string& gz, std::string* out) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return false;
  out->clear();
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  zs.avail_in = static_cast<uInt>(gz.size());
  char buf[1 << 16];
  int rc = Z_OK;
  while (rc == Z_OK || (rc == Z_STREAM_END && zs.avail_in > 0)) {
    if (rc == Z_STREAM_END) inflateReset(&zs);  // the next member
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    rc = inflate(&zs, Z_NO_FLUSH);
    out->append(buf, sizeof(buf) - zs.avail_out);
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) break;  // input cut short
  }
  inflateEnd(&zs);
  return rc == Z_STREAM_END && zs.avail_in == 0;
}

const std::vector<size_t> kSizes = {0, 1, 54, 56, 4096, 65536, 65537, 300000};

TEST(GzipMemberTest, LibdeflateMembersInflateWithZlib) {
  for (int level : {0, 1, 4, 6, 9, 12, ChunkedGzipOptions().level}) {
    for (size_t size : kSizes) {
      SCOPED_TRACE("level " + std::to_string(level) + ", size " + std::to_string(size));
      const std::string input = MappingsLike(size, size + 7);
      Result<std::string> member = CompressGzipMember(input, level);
      ASSERT_TRUE(member.ok()) << member.status().ToString();
      EXPECT_EQ(member->substr(0, kGzipHeaderSize),
                std::string(reinterpret_cast<const char*>(kGzipMemberHeader), kGzipHeaderSize));
      std::string out;
      EXPECT_TRUE(ZlibGunzip(*member, &out));
      EXPECT_EQ(out, input);
      Result<std::string> back = InflateGzipMember(*member, size);
      ASSERT_TRUE(back.ok()) << back.status().ToString();
      EXPECT_EQ(*back, input);
    }
  }
}

TEST(GzipMemberTest, ZlibMembersInflateWithLibdeflate) {
  for (int level : {0, 1, 6, 9}) {
    for (size_t size : kSizes) {
      SCOPED_TRACE("zlib level " + std::to_string(level) + ", size " + std::to_string(size));
      const std::string input = MappingsLike(size, size + 3);
      const std::string member = ZlibMember(input, level);
      Result<std::string> back = InflateGzipMember(member, size);
      ASSERT_TRUE(back.ok()) << back.status().ToString();
      EXPECT_EQ(*back, input);
    }
  }
}

TEST(GzipMemberTest, LevelOutOfRangeIsInvalid) {
  for (int level : {-1, kMaxGzipLevel + 1}) {
    EXPECT_EQ(CompressGzipMember("abc", level).status().code(), Status::Code::kInvalid);
  }
  scopefs::testing::MemEnv env;
  std::unique_ptr<File> file = std::move(env.Open("/gz", OpenMode::kCreate)).value();
  ChunkedGzipWriter writer(file.get(), {.level = kMaxGzipLevel + 1});
  EXPECT_EQ(writer.Append("abc").code(), Status::Code::kInvalid);
}

TEST(GzipMemberTest, ThreadsAtDifferentLevelsGiveTheSameBytesAsOneThread) {
  const std::string input = MappingsLike(200000, 1);
  std::vector<std::string> want;
  for (int level = kMinGzipLevel; level <= kMaxGzipLevel; ++level) {
    want.push_back(std::move(CompressGzipMember(input, level)).value());
  }
  std::vector<std::thread> threads;
  std::vector<int> bad(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        const int level = (t * 5 + i) % (kMaxGzipLevel + 1);
        Result<std::string> member = CompressGzipMember(input, level);
        Result<std::string> back =
            member.ok() ? InflateGzipMember(*member, input.size()) : member.status();
        if (!member.ok() || *member != want[level] || !back.ok() || *back != input) ++bad[t];
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(bad, std::vector<int>(4, 0));
}

// A file written member by member by the zlib codec, with its index, reads
// whole and verifies through today's reader: a store from before issue 13.
TEST(GzipMemberTest, StoreWrittenByTheZlibCodecStaysReadable) {
  constexpr size_t kChunk = 4096;
  const std::string text = MappingsLike(20 * kChunk + 123, 5);
  std::string gz;
  GzipIndex index;
  index.chunk_size = kChunk;
  index.uncompressed_size = text.size();
  for (size_t pos = 0; pos < text.size(); pos += kChunk) {
    index.members.push_back({gz.size(), pos});
    gz += ZlibMember(std::string_view(text).substr(pos, kChunk), 6);
  }
  index.compressed_size = gz.size();
  ASSERT_TRUE(ValidateGzipIndex(index).ok());
  scopefs::testing::MemEnv env;
  {
    std::unique_ptr<File> file = std::move(env.Open("/m.gz", OpenMode::kCreate)).value();
    ASSERT_TRUE(file->WriteAt(0, gz.data(), gz.size()).ok());
  }
  MemberCache cache(1 << 20);
  ChunkedGzipReader reader(std::move(env.Open("/m.gz", OpenMode::kRead)).value(), index, &cache);
  EXPECT_TRUE(reader.VerifyAll().ok());
  std::string out(text.size(), '\0');
  Result<size_t> n = reader.ReadAt(0, out.data(), out.size());
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, text.size());
  EXPECT_EQ(out, text);
}

// The damage, and the reason the reader reports, for a member of `size` bytes.
struct Damage {
  const char* name;
  std::string (*apply)(std::string member);
  int64_t size_delta;  // what the index claims, relative to the real size
  const char* reason;
};

std::string FlipAt(std::string m, size_t at) {
  m[at] = static_cast<char>(m[at] ^ 0x10);
  return m;
}

const Damage kDamages[] = {
    {"header mtime", [](std::string m) { return FlipAt(std::move(m), 4); }, 0,
     "bad gzip member header"},
    // The position is read before `m` is moved: the order arguments are
    // evaluated in is unspecified, and clang moves first.
    {"CRC-32",
     [](std::string m) {
       const size_t at = m.size() - 7;
       return FlipAt(std::move(m), at);
     },
     0, "CRC-32 mismatch"},
    {"ISIZE",
     [](std::string m) {
       const size_t at = m.size() - 2;
       return FlipAt(std::move(m), at);
     },
     0, "ISIZE mismatch"},
    {"deflate data cut short",
     [](std::string m) { return m.substr(0, kGzipHeaderSize + 20) + m.substr(m.size() - 8); }, 0,
     "bad deflate data"},
    {"a stray byte before the trailer",
     [](std::string m) { return m.insert(m.size() - kGzipTrailerSize, 1, 'x'); }, 0,
     "deflate data ends 1 bytes before the member's trailer"},
    {"too short for a member", [](std::string m) { return m.substr(0, 12); }, 0,
     "member is only 12 bytes"},
    {"index claims a byte less", [](std::string m) { return m; }, -1, "inflates to more than"},
    {"index claims a byte more", [](std::string m) { return m; }, +1, "bytes, index says"},
};

TEST(GzipMemberTest, DamageGivesTheSameCorruptionWhicheverCodecWroteIt) {
  const std::string input = MappingsLike(65536, 9);
  const std::string members[] = {std::move(CompressGzipMember(input, 6)).value(),
                                 ZlibMember(input, 6)};
  for (const Damage& damage : kDamages) {
    for (int codec = 0; codec < 2; ++codec) {
      SCOPED_TRACE(std::string(damage.name) + (codec == 0 ? ", libdeflate" : ", zlib"));
      Result<std::string> got = InflateGzipMember(damage.apply(members[codec]),
                                                  static_cast<uint64_t>(65536 + damage.size_delta));
      ASSERT_FALSE(got.ok());
      EXPECT_EQ(got.status().code(), Status::Code::kCorruption);
      EXPECT_NE(got.status().message().find(damage.reason), std::string::npos)
          << got.status().ToString();
    }
  }
}

}  // namespace
}  // namespace scopefs::store
