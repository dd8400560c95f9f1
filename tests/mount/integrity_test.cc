// Damage to stored files (a flipped byte, truncation, deletion) of each kind
// (bits, gzip mappings, the record with its member index), made with the
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

constexpr const char* kDataFiles[] = {"nodes.bits", "links.bits", "mappings.json"};
// Each stored file, and the short name the test's keys use for it.
constexpr std::pair<const char*, const char*> kStoredFiles[] = {{"nodes", "nodes.bits"},
                                                                {"links", "links.bits"},
                                                                {"maps", "mappings.json.gz"},
                                                                {"meta", "meta.json"}};
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
  for (const char* f : kDataFiles) source_[f] = ReadFile(src + "/" + f);
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

}  // namespace
}  // namespace scopefs::testing
