// Hostile input through the mount: every case gets the errno SPEC names and a
// log line, the daemon stays up, memory stays bounded, and a committed scope
// next to it is untouched.
#include "tests/mount/mount_test.h"

namespace scopefs::testing {
namespace {

class HostileInputTest : public MountTest {
 protected:
  std::vector<std::string> ExtraArgs() override { return {"--max-size", "64M"}; }

  // The daemon's peak resident memory, from /proc.
  long PeakRssKb() {
    ShellResult r = Shell("grep VmHWM /proc/" + std::to_string(mount_->pid()) + "/status");
    return std::atol(r.output.substr(r.output.find_first_of("0123456789")).c_str());
  }
};

TEST_F(HostileInputTest, EveryCaseGetsItsErrnoAndHarmsNothing) {
  ASSERT_EQ(Shell("cp -r " + Quote(SmallScope()) + " " + Quote(Mnt("good"))).exit_code, 0);
  ShellResult r = RunScript("hostile_probe.py", {Mnt()}, 300);
  EXPECT_EQ(r.output,
            "key ..x EINVAL\n"
            "key .hidden EINVAL\n"
            "key space EINVAL\n"
            "key control EINVAL\n"
            "key utf8 EINVAL\n"
            "key 201 EINVAL\n"
            "key 300 EINVAL\n"
            "meta invalid json EINVAL\n"
            "meta not object EINVAL\n"
            "meta negative EINVAL\n"
            "meta string EINVAL\n"
            "meta huge EINVAL\n"
            "meta 2^64 EINVAL\n"
            "meta fractional EINVAL\n"
            "meta duplicate EINVAL\n"
            "meta nested EINVAL\n"
            "meta over 1MiB EINVAL\n"
            "maps index>=total EINVAL\n"
            "maps negative EINVAL\n"
            "maps fractional EINVAL\n"
            "maps string EINVAL\n"
            "maps no links EINVAL\n"
            "gz truncated EINVAL\n"
            "gz bad crc EINVAL\n"
            "gz trailing garbage EINVAL\n"
            "gz plain json EINVAL\n"
            "gz bomb EINVAL\n"
            "write at 2^40 EFBIG\n"
            "fallocate 1TiB EFBIG\n"
            "read at EOF 0 bytes\n"
            "read past EOF 0 bytes\n"
            "read at 2^62 0 bytes\n");
  // One log line each says what was wrong.
  const std::string log = mount_->log();
  size_t refusals = 0;
  for (size_t at = log.find("refused scope "); at != std::string::npos;
       at = log.find("refused scope ", at + 1)) {
    ++refusals;
  }
  EXPECT_EQ(refusals, 20u) << log;  // every meta.json, mappings and .gz case
  for (const char* why :
       {"starts with '.'", "at most 200 are allowed", "nested deeper than 32 levels",
        "has the key \"total_nodes\" twice", "larger than 1048576 bytes", "is out of range [0, 10)",
        "missing \"link_id_mapping\"", "gzip file is truncated", "incorrect data check",
        "unexpected data after the last gzip member", "not a gzip file",
        "inflates to more than the limit"}) {
    EXPECT_NE(log.find(why), std::string::npos) << why << "\n" << log;
  }
  // Still up, nothing left over, and the committed scope untouched.
  EXPECT_EQ(Shell("ls -A " + Quote(Mnt())).output, ".scopefs\ngood\n");
  ExpectSameFiles(SmallScope(), "good");
  EXPECT_EQ(Shell("ls -A " + Quote(mount_->store() + "/pending")).output, "");
  // The 200 MiB bomb was refused while streaming: the daemon never held it.
  const long peak = PeakRssKb();
  std::printf(
      "hostile input: 32 cases refused as SPEC says; daemon peak RSS %ld KiB after a 200 MiB gzip "
      "bomb\n",
      peak);
  EXPECT_LT(peak, 200 * 1024 * kSanitizerSlowdown) << "peak RSS in KiB";
}

TEST_F(HostileInputTest, ReAddingAKeyFailsAndKeepsTheCommittedBytes) {
  const std::string& first = SmallScope();
  const std::string& other = GenScope(1001, 2001);
  ASSERT_EQ(Shell("cp -r " + Quote(first) + " " + Quote(Mnt("k"))).exit_code, 0);
  ShellResult cp = Shell("cp -r " + Quote(other + "/.") + " " + Quote(Mnt("k")));
  EXPECT_NE(cp.exit_code, 0) << cp.output;
  ShellResult rsync = Shell("rsync -a " + Quote(other + "/") + " " + Quote(Mnt("k/")));
  EXPECT_NE(rsync.exit_code, 0) << rsync.output;
  ExpectSameFiles(first, "k");
}

TEST_F(HostileInputTest, TwoWritersRacingOnOneKeyGiveOneWholeScope) {
  // Same totals, different bytes: any mix of the two would pass validation.
  const std::string& a = SmallScope();
  const std::string b = dir_.path() + "/seed7";
  ASSERT_EQ(
      Shell(Quote(ScopectlPath()) + " gen --quiet --nodes 5001 --links 7003 --seed 7 " + Quote(b))
          .exit_code,
      0);
  int refused = 0, mixed = 0;
  for (int round = 0; round < 20; ++round) {
    const std::string key = "race" + std::to_string(round);
    // cp -r against cp -r, then rsync -a against rsync -a (temp files and renames).
    auto copy = [&](const std::string& src) {
      return round % 2 == 0 ? "cp -r " + Quote(src) + " " + Quote(Mnt(key))
                            : "rsync -a " + Quote(src + "/") + " " + Quote(Mnt(key) + "/");
    };
    Shell(copy(a) + " >/dev/null 2>&1 & " + copy(b) + " >/dev/null 2>&1; wait");
    // A refusal (both wrote, the scope is invalid) is allowed; a mix is not.
    if (access(Mnt(key + "/.status").c_str(), F_OK) == 0) {
      ++refused;
      continue;
    }
    // Whichever won, the scope is one source's, whole.
    ShellResult which = Shell("cmp -s " + Quote(a + "/mappings.json") + " " +
                              Quote(Mnt(key + "/mappings.json")) + " && echo a || echo b");
    const std::string& src = which.output == "a\n" ? a : b;
    ShellResult same = Shell(
        "cmp " + Quote(src + "/nodes.bits") + " " + Quote(Mnt(key + "/nodes.bits")) + " && cmp " +
        Quote(src + "/links.bits") + " " + Quote(Mnt(key + "/links.bits")) + " && cmp " +
        Quote(src + "/mappings.json") + " " + Quote(Mnt(key + "/mappings.json")));
    if (same.exit_code != 0) {
      ++mixed;
      ADD_FAILURE() << key << " mixes the two sources: " << same.output;
    }
  }
  std::printf("racing writers: 20 rounds, %d refused, %d whole scopes, %d mixed\n", refused,
              20 - refused - mixed, mixed);
}

}  // namespace
}  // namespace scopefs::testing
