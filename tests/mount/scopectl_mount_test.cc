// scopectl against a live mount: import, inspection, removal, gc and verify
// through the mount's files and .scopefs/ control files.
#include <nlohmann/json.hpp>

#include "tests/mount/mount_test.h"

namespace scopefs::testing {
namespace {

class ScopectlMountTest : public MountTest {
 protected:
  std::vector<std::string> ExtraArgs() override { return {"--ttl", "24h"}; }

  // scopectl `args` --mount MNT; stdout in `output` unless `with_stderr`.
  ShellResult Ctl(const std::string& args, bool with_stderr = false) {
    return Shell(Quote(ScopectlPath()) + " " + args + " --mount " + Quote(Mnt()) +
                 (with_stderr ? "" : " 2>/dev/null"));
  }

  nlohmann::json Json(const std::string& args) {
    ShellResult r = Ctl(args + " --json");
    EXPECT_EQ(r.exit_code, 0) << args << ": " << r.output;
    return nlohmann::json::parse(r.output, nullptr, false);
  }

  std::vector<std::string> Keys() {
    std::vector<std::string> keys;
    for (const auto& meta : Json("ls")) keys.push_back(meta["scope_key"]);
    return keys;
  }

  void Add(const std::string& key) {
    ShellResult r = Shell("cp -r " + Quote(SmallScope()) + " " + Quote(Mnt(key)));
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }

  // Flips one byte in the middle of a stored file, behind the daemon's back.
  void FlipStoredByte(const std::string& key, const std::string& file) {
    ShellResult r = RunScript("flip_byte.py", {mount_->store() + "/scopes/" + key + "/" + file});
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
};

TEST_F(ScopectlMountTest, ImportThroughTheMountServesTheOldBytes) {
  const std::string old = dir_.path() + "/old";
  ShellResult made = PythonScript(SCOPEFS_TESTS_DIR "/support/make_old_cache.py", {old});
  ASSERT_EQ(made.exit_code, 0) << made.output;

  ShellResult r = Ctl("import " + Quote(old), /*with_stderr=*/true);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("3 imported, 0 already present, 1 expired, 3 skipped"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("skipped badindex: mappings.json.gz: node index 63"), std::string::npos)
      << r.output;
  EXPECT_EQ(Keys(), (std::vector<std::string>{"empty0", "wide", "odd13"}));

  // What a user's Python reads from the mount is what the old cache held.
  ShellResult same = RunScript("same_as_old_cache.py", {old, Mnt()});
  EXPECT_EQ(same.exit_code, 0) << same.output;

  ShellResult again = Ctl("import " + Quote(old));
  EXPECT_NE(again.output.find("0 imported, 3 already present"), std::string::npos) << again.output;
  EXPECT_EQ(Keys().size(), 3u);
}

TEST_F(ScopectlMountTest, StatsLsInfoRmAndClear) {
  for (const char* key : {"a", "b", "c"}) Add(key);
  ASSERT_EQ(Shell("cat " + Quote(Mnt("b/nodes.bits")) + " >/dev/null").exit_code,
            0);  // b: most recent

  nlohmann::json stats = Json("stats");
  EXPECT_EQ(stats["total_entries"], 3);
  EXPECT_EQ(stats["ttl_seconds"], 86400);
  EXPECT_EQ(Keys().front(), "b");
  nlohmann::json info = Json("info a");
  EXPECT_EQ(info, nlohmann::json::parse(Shell("cat " + Quote(Mnt("a/meta.json"))).output));

  ShellResult table = Ctl("ls");
  EXPECT_EQ(table.output.rfind("KEY", 0), 0u) << table.output;
  EXPECT_NE(table.output.find("TTL LEFT"), std::string::npos);
  EXPECT_NE(table.output.find("23h 59m"), std::string::npos) << table.output;
  ShellResult human = Ctl("stats");
  EXPECT_NE(human.output.find("entries       3 of 100"), std::string::npos) << human.output;

  ShellResult missing = Ctl("info nosuch", true);
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.output.find("nosuch"), std::string::npos) << missing.output;

  EXPECT_EQ(Ctl("rm a").exit_code, 0);
  EXPECT_NE(access(Mnt("a").c_str(), F_OK), 0);
  EXPECT_EQ(Ctl("clear --yes").exit_code, 0);
  EXPECT_TRUE(Keys().empty());
  EXPECT_EQ(Shell("ls -A " + Quote(Mnt())).output, ".scopefs\n");
}

TEST_F(ScopectlMountTest, VerifyQuarantinesADamagedScopeAndReadsGetEio) {
  for (const char* key : {"good", "bits", "maps"}) Add(key);
  ShellResult clean = Ctl("verify");
  EXPECT_EQ(clean.exit_code, 0) << clean.output;
  EXPECT_NE(clean.output.find("verified 3 scopes: 3 ok"), std::string::npos) << clean.output;

  FlipStoredByte("bits", "links.bits");
  ShellResult r = Ctl("verify", true);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("corrupt  bits: "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("checksum mismatch"), std::string::npos) << r.output;
  EXPECT_NE(access(Mnt("bits").c_str(), F_OK), 0) << "a quarantined scope is gone";
  EXPECT_NE(mount_->log().find("quarantining scope bits"), std::string::npos) << mount_->log();

  // The read path finds damage on its own: EIO, never wrong bytes, and quarantine.
  FlipStoredByte("maps", "mappings.json.gz");
  ShellResult read = Shell("cat " + Quote(Mnt("maps/mappings.json")) + " >/dev/null");
  EXPECT_NE(read.exit_code, 0);
  EXPECT_NE(read.output.find("Input/output error"), std::string::npos) << read.output;
  EXPECT_EQ(Keys(), (std::vector<std::string>{"good"}));
  EXPECT_EQ(Json("stats")["quarantined"], 2);

  // A shell user gets the same verdicts from the control file.
  // (coreutils' echo: dash's builtin reports every write error as "I/O error")
  ShellResult echo = Shell("/bin/echo good > " + Quote(Mnt(".scopefs/verify")) +
                           " && /bin/echo nosuch > " + Quote(Mnt(".scopefs/verify")));
  EXPECT_NE(echo.exit_code, 0);
  EXPECT_NE(echo.output.find("No such file or directory"), std::string::npos) << echo.output;
}

TEST_F(ScopectlMountTest, GcRemovesOrphansNow) {
  Add("kept");
  ASSERT_EQ(Shell("mkdir -p " + Quote(mount_->store() + "/staging/leftover") + " " +
                  Quote(mount_->store() + "/scopes/stray"))
                .exit_code,
            0);
  nlohmann::json gc = Json("gc");
  EXPECT_EQ(gc["orphans"], 2) << gc.dump();
  EXPECT_NE(access((mount_->store() + "/staging/leftover").c_str(), F_OK), 0);
  EXPECT_NE(access((mount_->store() + "/scopes/stray").c_str(), F_OK), 0);
  EXPECT_EQ(Keys(), (std::vector<std::string>{"kept"}));
  EXPECT_EQ(
      Shell("cmp " + Quote(SmallScope() + "/nodes.bits") + " " + Quote(Mnt("kept/nodes.bits")))
          .exit_code,
      0);
}

}  // namespace
}  // namespace scopefs::testing
