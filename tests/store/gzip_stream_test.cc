// Tests InflateGzipStream on files made by /bin/gzip and on broken ones.
#include "store/gzip_stream.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <random>
#include <string>

#include "store/chunked_gzip_writer.h"
#include "store/env.h"

namespace scopefs::store {
namespace {

constexpr uint64_t kNoLimit = UINT64_MAX;

std::string RandomText(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string out(n, '\0');
  for (char& c : out) c = "0123456789abcdef\":, {}"[rng() % 22];
  return out;
}

class GzipStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access("/bin/gzip", X_OK) != 0) {
      GTEST_SKIP() << "no /bin/gzip to make test files";
    }
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmp != nullptr ? tmp : "/tmp") + "/gzip_stream_test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (!dir_.empty()) {
      ASSERT_TRUE(RemoveAll(PosixEnv(), dir_).ok());
    }
  }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  void WriteFile(const std::string& name, const std::string& data) {
    std::unique_ptr<File> file = std::move(PosixEnv()->Open(Path(name), OpenMode::kCreate)).value();
    ASSERT_TRUE(file->WriteAt(0, data.data(), data.size()).ok());
  }
  std::string ReadFile(const std::string& name) {
    Result<std::string> data = ReadFileToString(PosixEnv(), Path(name), 1 << 30);
    EXPECT_TRUE(data.ok());
    return data.ok() ? *data : std::string();
  }
  void Shell(const std::string& command) {
    ASSERT_EQ(std::system(("cd '" + dir_ + "' && " + command).c_str()), 0) << command;
  }

  // Inflates file `name`, collecting the output and checking the pieces.
  Status Inflate(const std::string& name, uint64_t max_output, std::string* out) {
    std::unique_ptr<File> file = std::move(PosixEnv()->Open(Path(name), OpenMode::kRead)).value();
    return InflateGzipStream(*file, max_output, [&](std::string_view piece) {
      EXPECT_FALSE(piece.empty());
      EXPECT_LE(piece.size(), size_t{256} << 10);
      out->append(piece);
      return Status::Ok();
    });
  }

  void ExpectInvalid(const std::string& name, const std::string& needle) {
    std::string out;
    Status s = Inflate(name, kNoLimit, &out);
    EXPECT_EQ(s.code(), Status::Code::kInvalid) << s.ToString();
    EXPECT_NE(s.message().find(needle), std::string::npos) << s.ToString();
  }

  std::string dir_;
};

TEST_F(GzipStreamTest, SingleMemberFromGzipWithAFileName) {
  const std::string data = RandomText(3 << 20, 1);
  WriteFile("mappings.json", data);
  Shell("gzip -6 mappings.json");  // the header carries FNAME
  std::string out;
  ASSERT_TRUE(Inflate("mappings.json.gz", kNoLimit, &out).ok());
  EXPECT_EQ(out, data);
}

TEST_F(GzipStreamTest, ConcatenatedMembers) {
  WriteFile("a", "{\"a\": 1, ");
  WriteFile("b", "");
  WriteFile("c", RandomText(700000, 2));
  Shell("gzip -6 -c a > all.gz && gzip -1 -c b >> all.gz && gzip -9 -c c >> all.gz");
  std::string out;
  ASSERT_TRUE(Inflate("all.gz", kNoLimit, &out).ok());
  EXPECT_EQ(out, ReadFile("a") + ReadFile("c"));
}

TEST_F(GzipStreamTest, ReadsChunkedGzipWriterOutput) {
  const std::string data = RandomText(100000, 3);
  {
    std::unique_ptr<File> file =
        std::move(PosixEnv()->Open(Path("m.gz"), OpenMode::kCreate)).value();
    ChunkedGzipWriter writer(file.get(), {.chunk_size = 4096});
    ASSERT_TRUE(writer.Append(data).ok());
    ASSERT_TRUE(writer.Finish().ok());
  }
  std::string out;
  ASSERT_TRUE(Inflate("m.gz", kNoLimit, &out).ok());
  EXPECT_EQ(out, data);
}

TEST_F(GzipStreamTest, OutputExactlyAtTheLimitIsAccepted) {
  WriteFile("d", RandomText(5000, 4));
  Shell("gzip d");
  std::string out;
  EXPECT_TRUE(Inflate("d.gz", 5000, &out).ok());
  out.clear();
  Status s = Inflate("d.gz", 4999, &out);
  EXPECT_EQ(s.code(), Status::Code::kInvalid);
  EXPECT_EQ(s.message(), "gzip file inflates to more than the limit of 4999 bytes");
  EXPECT_LE(out.size(), 4999u);
}

TEST_F(GzipStreamTest, RefusesAGzipBombQuickly) {
  Shell("head -c 64M /dev/zero | gzip -6 > bomb.gz");
  auto start = std::chrono::steady_clock::now();
  std::string out;
  Status s = Inflate("bomb.gz", 1 << 20, &out);
  EXPECT_EQ(s.code(), Status::Code::kInvalid);
  EXPECT_NE(s.message().find("more than the limit of 1048576 bytes"), std::string::npos);
  EXPECT_LE(out.size(), size_t{1} << 20);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST_F(GzipStreamTest, RefusesNonGzip) {
  WriteFile("empty.gz", "");
  std::string out;
  Status s = Inflate("empty.gz", kNoLimit, &out);
  EXPECT_EQ(s.code(), Status::Code::kInvalid);
  EXPECT_EQ(s.message(), "not a gzip file: empty");

  WriteFile("plain.gz", "{\"n:1\": 2}\n");
  ExpectInvalid("plain.gz", "not a gzip file");
  WriteFile("one.gz", "\x1f");
  ExpectInvalid("one.gz", "not a gzip file");
}

TEST_F(GzipStreamTest, RefusesTruncatedFiles) {
  WriteFile("t", RandomText(200000, 5));
  Shell("gzip t");
  const std::string whole = ReadFile("t.gz");
  for (size_t cut : {size_t{5}, whole.size() / 2, whole.size() - 4, whole.size() - 1}) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    WriteFile("cut.gz", whole.substr(0, cut));
    ExpectInvalid("cut.gz", "truncated");
  }
}

TEST_F(GzipStreamTest, RefusesBadCrcAndLength) {
  WriteFile("t", RandomText(20000, 6));
  Shell("gzip t");
  std::string whole = ReadFile("t.gz");
  std::string bad = whole;
  bad[bad.size() - 6] ^= 1;  // CRC-32
  WriteFile("crc.gz", bad);
  ExpectInvalid("crc.gz", "incorrect data check");
  bad = whole;
  bad[bad.size() - 3] ^= 1;  // ISIZE
  WriteFile("len.gz", bad);
  ExpectInvalid("len.gz", "incorrect length check");
}

TEST_F(GzipStreamTest, RefusesTrailingGarbage) {
  WriteFile("t", RandomText(1000, 7));
  Shell("gzip t");
  const std::string whole = ReadFile("t.gz");
  WriteFile("junk.gz", whole + "junk");
  ExpectInvalid("junk.gz", "unexpected data after the last gzip member, at offset " +
                               std::to_string(whole.size()));
  WriteFile("nl.gz", whole + "\n");
  ExpectInvalid("nl.gz", "unexpected data after the last gzip member");
  WriteFile("zeros.gz", whole + std::string(8, '\0'));
  ExpectInvalid("zeros.gz", "unexpected data after the last gzip member");
}

TEST_F(GzipStreamTest, SinkErrorsPassThroughUnchanged) {
  WriteFile("t", RandomText(600000, 8));
  Shell("gzip t");
  std::unique_ptr<File> file = std::move(PosixEnv()->Open(Path("t.gz"), OpenMode::kRead)).value();
  int calls = 0;
  Status s = InflateGzipStream(*file, kNoLimit, [&](std::string_view) {
    return ++calls == 2 ? Status::NoSpace("disk full") : Status::Ok();
  });
  EXPECT_EQ(s.code(), Status::Code::kNoSpace);
  EXPECT_EQ(s.message(), "disk full");
  EXPECT_EQ(calls, 2);
}

}  // namespace
}  // namespace scopefs::store
