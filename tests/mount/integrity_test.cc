// Damage to stored files (a flipped byte, truncation, deletion) of each kind
// (bits, gzip mappings, the record with its member index, the index files), made with the
// daemon stopped and with the files open: every case is detected (EIO and
// quarantine, or dropped at start-up) and no read ever returns a wrong byte.
#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

#include "tests/mount/mount_test.h"

namespace scopefs::testing {
namespace {

constexpr const char* kDataFiles[] = {"nodes.bits", "links.bits", "mappings.json", "nodes.idx",
                                      "links.idx"};
// Each stored file, and the short name the test's keys use for it.
constexpr std::pair<const char*, const char*> kStoredFiles[] = {
    {"nodes", "nodes.bits"}, {"links", "links.bits"}, {"maps", "mappings.json.gz"},
    {"meta", "meta.json"},   {"nidx", "nodes.idx"},   {"lidx", "links.idx"}};
constexpr const char* kDamages[] = {"flip", "truncate", "delete"};

// What reading a whole file gave: its bytes, or the errno that stopped it.
struct ReadResult {
  int error = 0;
  std::string bytes;
};

ReadResult ReadFd(int fd) {
  ReadResult r;
  char buf[1 << 16];
  for (off_t at = 0;;) {
    ssize_t n = ::pread(fd, buf, sizeof buf, at);
    if (n < 0) return {errno, ""};
    if (n == 0) return r;
    r.bytes.append(buf, static_cast<size_t>(n));
    at += n;
  }
}

ReadResult ReadPath(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return {errno, ""};
  ReadResult r = ReadFd(fd);
  ::close(fd);
  return r;
}

void Damage(const std::string& path, const std::string& how) {
  if (how == "delete") {
    ASSERT_EQ(::unlink(path.c_str()), 0) << path;
    return;
  }
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0) << path;
  if (how == "truncate") {
    ASSERT_EQ(::truncate(path.c_str(), st.st_size / 2), 0) << path;
    return;
  }
  int fd = ::open(path.c_str(), O_RDWR);
  ASSERT_GE(fd, 0) << path;
  char c = 0;
  ASSERT_EQ(::pread(fd, &c, 1, st.st_size / 2), 1);
  c = static_cast<char>(c ^ 0x04);
  ASSERT_EQ(::pwrite(fd, &c, 1, st.st_size / 2), 1);
  ::close(fd);
}

class IntegrityTest : public MountTest {
 protected:
  // Reads every data file of `key` afresh: counts wrong bytes, and returns
  // true if the damage showed (EIO on a read, or the scope gone).
  bool ReadsDetect(const std::string& key, int* wrong) {
    bool detected = false;
    for (const char* f : kDataFiles) {
      ReadResult r = ReadPath(Mnt(key + "/" + f));
      if (r.error == EIO || r.error == ENOENT) {
        detected = true;
      } else if (r.error != 0) {
        ADD_FAILURE() << key << "/" << f << ": unexpected errno " << r.error;
      } else if (r.bytes != source_[f]) {
        ++*wrong;
        ADD_FAILURE() << key << "/" << f << ": WRONG BYTES served";
      }
    }
    return detected;
  }

  std::map<std::string, std::string> source_;
};

TEST_F(IntegrityTest, EveryDamageIsDetectedAndNoWrongByteIsServed) {
  const std::string& src = SmallScope();
  // The index files as a clean copy of the scope serves them.
  ASSERT_EQ(Shell("cp -r " + Quote(src) + " " + Quote(Mnt("clean"))).exit_code, 0);
  for (const char* f : kDataFiles) {
    source_[f] = ReadFile((std::string_view(f).ends_with(".idx") ? Mnt("clean") : src) + "/" + f);
    ASSERT_FALSE(source_[f].empty()) << f;
  }
  std::vector<std::string> keys;
  for (const auto& [kind, file] : kStoredFiles) {
    for (const char* damage : kDamages) {
      for (const char* mode : {"stopped", "open"}) {
        const std::string key = std::string(kind) + "-" + damage + "-" + mode;
        ASSERT_EQ(Shell("cp -r " + Quote(src) + " " + Quote(Mnt(key))).exit_code, 0);
        keys.push_back(key);
      }
    }
  }
  auto stored = [&](const std::string& key, const char* file) {
    return mount_->store() + "/scopes/" + key + "/" + file;
  };
  auto parts = [](const std::string& key) {
    const size_t a = key.find('-'), b = key.rfind('-');
    return std::tuple{key.substr(0, a), key.substr(a + 1, b - a - 1), key.substr(b + 1)};
  };
  auto file_of = [](const std::string& kind) {
    for (const auto& [k, file] : kStoredFiles) {
      if (kind == k) return file;
    }
    return "?";
  };

  int wrong = 0;
  std::set<std::string> detected;
  // With the files open: readers that hold them get the committed bytes or EIO.
  for (const std::string& key : keys) {
    auto [kind, damage, mode] = parts(key);
    if (mode != "open") continue;
    SCOPED_TRACE(key);
    std::vector<int> fds;
    for (const char* f : kDataFiles) {
      fds.push_back(::open(Mnt(key + "/" + f).c_str(), O_RDONLY));
      ASSERT_GE(fds.back(), 0);
      ASSERT_EQ(ReadFd(fds.back()).bytes, source_[f]);
    }
    Damage(stored(key, file_of(kind)), damage);
    for (size_t i = 0; i < fds.size(); ++i) {
      ReadResult r = ReadFd(fds[i]);
      if (r.error == EIO) detected.insert(key);
      if (r.error == 0 && r.bytes != source_[kDataFiles[i]]) {
        ++wrong;
        ADD_FAILURE() << kDataFiles[i] << ": WRONG BYTES through a file held open";
      }
      ::close(fds[i]);
    }
    if (ReadsDetect(key, &wrong)) detected.insert(key);
  }
  // With the daemon stopped.
  ASSERT_EQ(mount_->Stop(), 0);
  for (const std::string& key : keys) {
    auto [kind, damage, mode] = parts(key);
    if (mode == "stopped") Damage(stored(key, file_of(kind)), damage);
  }
  std::string error;
  ASSERT_TRUE(mount_->Start(&error)) << error;
  for (const std::string& key : keys) {
    if (ReadsDetect(key, &wrong)) detected.insert(key);
  }
  // After a restart, damage that open files had hidden shows too.
  ASSERT_EQ(mount_->Stop(), 0);
  ASSERT_TRUE(mount_->Start(&error)) << error;
  for (const std::string& key : keys) {
    if (ReadsDetect(key, &wrong)) detected.insert(key);
    EXPECT_NE(access(Mnt(key).c_str(), F_OK), 0)
        << key << " is still served after its damage was found";
  }
  for (const std::string& key : keys)
    EXPECT_TRUE(detected.count(key)) << key << " was never detected";
  const std::string log = mount_->log();
  EXPECT_NE(log.find("quarantining scope "), std::string::npos);
  EXPECT_NE(log.find("recovery: dropping scope "), std::string::npos);
  std::printf(
      "integrity: %zu damaged scopes (%zu kinds x %zu damages x 2 modes), %zu detected, %d wrong "
      "bytes\n",
      keys.size(), std::size(kStoredFiles), std::size(kDamages), detected.size(), wrong);
  EXPECT_EQ(wrong, 0);
}

// A later open of a bits file skips the check at open (the kernel serves the
// verified bytes it cached); a read the cache cannot serve reaches the daemon,
// which checks the stored file then: EIO and quarantine if it was damaged,
// never wrong bytes.
TEST_F(IntegrityTest, ALaterOpenChecksBitsWhenAReadMissesThePageCache) {
  const std::string& src = SmallScope();
  ASSERT_EQ(Shell("cp -r " + Quote(src) + " " + Quote(Mnt("k"))).exit_code, 0);
  const std::string nodes = ReadFile(src + "/nodes.bits");
  const std::string links = ReadFile(src + "/links.bits");
  // Drops the kernel's cached pages of `path` and reads it whole afresh.
  auto read_uncached = [&](const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY);
    if (fd < 0) return ReadResult{errno, ""};
    EXPECT_EQ(::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
    ReadResult r = ReadFd(fd);
    ::close(fd);
    return r;
  };
  ASSERT_EQ(ReadPath(Mnt("k/nodes.bits")).bytes, nodes);  // checked at open
  ASSERT_EQ(ReadPath(Mnt("k/links.bits")).bytes, links);
  // Undamaged: the read that missed the cache checks and serves the bytes.
  EXPECT_EQ(read_uncached(Mnt("k/nodes.bits")).bytes, nodes);
  EXPECT_EQ(RunScript("stats_fields.py", {Mnt(), "bits_verified"}).output, "3\n");
  // Damaged on disk after the first check.
  Damage(mount_->store() + "/scopes/k/links.bits", "flip");
  // An open whose reads come from the page cache gets the bytes checked before.
  EXPECT_EQ(ReadPath(Mnt("k/links.bits")).bytes, links);
  ReadResult r = read_uncached(Mnt("k/links.bits"));
  EXPECT_EQ(r.error, EIO) << (r.bytes == links ? "the damage went unnoticed" : "WRONG BYTES");
  // The kernel is told to forget the name asynchronously: within 1 s.
  ShellResult gone = Shell("for n in $(seq 100); do [ -e " + Quote(Mnt("k")) +
                           " ] || { echo gone; exit 0; }; sleep 0.01; done; echo still there");
  EXPECT_EQ(gone.output, "gone\n") << "the damaged scope is still served";
  EXPECT_NE(mount_->log().find("quarantining scope "), std::string::npos) << mount_->log();
}

// Such a later open still reads the committed bytes after its scope is
// removed, even when the kernel dropped its cached pages: it pinned the stored
// file at open.
TEST_F(IntegrityTest, ALaterOpenReadsAcrossItsScopesRemoval) {
  const std::string& src = SmallScope();
  ASSERT_EQ(Shell("cp -r " + Quote(src) + " " + Quote(Mnt("k"))).exit_code, 0);
  const std::string links = ReadFile(src + "/links.bits");
  ASSERT_EQ(ReadPath(Mnt("k/links.bits")).bytes, links);   // checked at open
  int fd = ::open(Mnt("k/links.bits").c_str(), O_RDONLY);  // not checked at open
  ASSERT_GE(fd, 0);
  ASSERT_EQ(Shell("rm -r " + Quote(Mnt("k"))).exit_code, 0);
  EXPECT_EQ(::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
  ReadResult r = ReadFd(fd);
  ::close(fd);
  EXPECT_EQ(r.error, 0);
  EXPECT_TRUE(r.bytes == links) << "wrong bytes after the removal";
  EXPECT_EQ(RunScript("stats_fields.py", {Mnt(), "bits_verified"}).output, "2\n");
}

}  // namespace
}  // namespace scopefs::testing
