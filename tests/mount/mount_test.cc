// Tests that mount a real scopefs and drive it with the tools people use:
// cp, rsync, tar, cmp, rm, mv, gzip, and Debian's python3 with bitarray.
#include "tests/mount/mount_test.h"

#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <sstream>

namespace scopefs::testing {
namespace {

TEST_F(MountTest, EveryCopyToolAddsAScopeWithoutErrors) {
  const std::string& src = SmallScope();
  const std::string parent = src.substr(0, src.find_last_of('/'));
  const std::string base = src.substr(src.find_last_of('/') + 1);
  struct Case {
    std::string key, command;
  } cases[] = {
      {"by-cp", "cp -r " + Quote(src) + " " + Quote(Mnt("by-cp"))},
      {"by-cp-a", "cp -a " + Quote(src) + " " + Quote(Mnt("by-cp-a"))},
      {"by-rsync", "rsync -a " + Quote(src + "/") + " " + Quote(Mnt("by-rsync") + "/")},
      {"by-tar", "tar -C " + Quote(parent) + " -cf - " + Quote(base) + " | tar -x -C " +
                     Quote(Mnt()) + " --transform 's,^" + base + ",by-tar,'"},
      {"by-python",
       "/usr/bin/python3 -c 'import shutil,sys; shutil.copytree(sys.argv[1], "
       "sys.argv[2])' " +
           Quote(src) + " " + Quote(Mnt("by-python"))},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.key);
    ShellResult r = Shell(c.command);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(r.output, "");  // no warnings either
    ExpectSameFiles(src, c.key);
    ExpectPythonSees(src, c.key);
    ShellResult gz =
        Shell("gzip -t " + Quote(mount_->store() + "/scopes/" + c.key + "/mappings.json.gz"));
    EXPECT_EQ(gz.exit_code, 0) << gz.output;
  }
  ShellResult ls = Shell("ls " + Quote(Mnt()));
  EXPECT_EQ(ls.output, "by-cp\nby-cp-a\nby-python\nby-rsync\nby-tar\n");
  ShellResult modes =
      Shell("stat -c '%A %n' " + Quote(Mnt("by-cp")) + " " + Quote(Mnt("by-cp")) + "/*");
  std::string want = "dr-xr-xr-x " + Mnt("by-cp") + "\n";
  for (const char* f :
       {"links.bits", "links.idx", "mappings.json", "meta.json", "nodes.bits", "nodes.idx"}) {
    want += "-r--r--r-- " + Mnt("by-cp") + "/" + f + "\n";
  }
  EXPECT_EQ(modes.output, want);
}

TEST_F(MountTest, FileTimesSetWhilePendingAreKept) {
  const std::string& src = SmallScope();
  ASSERT_EQ(Shell("touch -d '2024-01-02 03:04:05' " + Quote(src) + "/*").exit_code, 0);
  ASSERT_EQ(Shell("rsync -a " + Quote(src + "/") + " " + Quote(Mnt("k") + "/")).exit_code, 0);
  for (const char* f : {"nodes.bits", "links.bits", "mappings.json"}) {
    ShellResult a = Shell("stat -c %Y " + Quote(src + "/" + f));
    ShellResult b = Shell("stat -c %Y " + Quote(Mnt("k") + "/" + f));
    EXPECT_EQ(a.output, b.output) << f;
  }
  // Running rsync again sends no data file: sizes and times match. (meta.json
  // is generated, so it differs; committed modes are r--r--r--, which rsync
  // reports as a permission difference it cannot apply, not a transfer.)
  ShellResult again = Shell("rsync -a --itemize-changes --exclude meta.json " + Quote(src + "/") +
                            " " + Quote(Mnt("k") + "/"));
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(again.output.find(">f"), std::string::npos) << "rsync sent data:\n" << again.output;
}

TEST_F(MountTest, RsyncAgainOntoACommittedScopeSucceedsAndSendsNoData) {
  const std::string& src = SmallScope();
  const std::string dst = Quote(Mnt("k") + "/");
  ASSERT_EQ(Shell("rsync -a " + Quote(src + "/") + " " + dst).exit_code, 0);
  const std::string stored =
      Shell("cat " + Quote(mount_->store()) + "/scopes/k/*.gz | md5sum").output;
  // meta.json is generated, so rsync sends it again; the rename over it is
  // accepted because it says the same thing. No data file is sent.
  ShellResult again = Shell("rsync -a --itemize-changes " + Quote(src + "/") + " " + dst);
  EXPECT_EQ(again.exit_code, 0) << again.output;
  for (const char* f : {">f.* nodes.bits", ">f.* links.bits", ">f.* mappings.json"}) {
    EXPECT_EQ(Shell("echo " + Quote(again.output) + " | grep -c '" + f + "'").output, "0\n")
        << again.output;
  }
  ExpectSameFiles(src, "k");
  // A different scope onto the same key fails, and the committed bytes stay.
  const std::string& other = GenScope(3001, 4003);
  ShellResult different = Shell("rsync -a " + Quote(other + "/") + " " + dst);
  EXPECT_NE(different.exit_code, 0) << different.output;
  ShellResult cp = Shell("cp -r " + Quote(other) + "/. " + dst);
  EXPECT_NE(cp.exit_code, 0) << cp.output;
  ExpectSameFiles(src, "k");
  EXPECT_EQ(Shell("cat " + Quote(mount_->store()) + "/scopes/k/*.gz | md5sum").output, stored);
  // A changed meta.json is refused too.
  ShellResult meta =
      Shell("printf '{\"config_attributes\":{\"x\":1}}' > " + Quote(dir_.path() + "/meta.json") +
            " && rsync " + Quote(dir_.path() + "/meta.json") + " " + dst);
  EXPECT_NE(meta.exit_code, 0) << meta.output;
  EXPECT_EQ(Shell("ls -A " + dst).output,
            "links.bits\nlinks.idx\nmappings.json\nmeta.json\nnodes.bits\nnodes.idx\n");
}

TEST_F(MountTest, LargeMappingsServeEveryOffsetToConcurrentReaders) {
  const std::string& src = GenScope(470000, 940000);  // ~50 MB of mappings
  ASSERT_EQ(Shell("cp -r " + Quote(src) + " " + Quote(Mnt("big"))).exit_code, 0);
  ExpectSameFiles(src, "big");
  ShellResult r = RunScript("pread_compare.py", {src, Mnt("big")});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  ShellResult concurrent =
      Shell("pids=; for i in 1 2 3 4 5 6 7 8; do cmp " + Quote(src + "/mappings.json") + " " +
            Quote(Mnt("big/mappings.json")) +
            " & pids=\"$pids $!\"; done; "
            "fail=0; for p in $pids; do wait $p || fail=1; done; exit $fail");
  EXPECT_EQ(concurrent.exit_code, 0) << concurrent.output;
}

TEST_F(MountTest, EveryRefusalHasItsErrno) {
  ASSERT_EQ(Shell("cp -r " + Quote(SmallScope()) + " " + Quote(Mnt("c"))).exit_code, 0);
  ShellResult r = RunScript("errno_probe.py", {Mnt(), "c"});
  EXPECT_EQ(r.output,
            "mkdir .hidden EINVAL\n"
            "mkdir space EINVAL\n"
            "mkdir 201 EINVAL\n"
            "mkdir existing EEXIST\n"
            "mkdir pending OK\n"
            "create other name EPERM\n"
            "create temp name OK\n"
            "mkdir in scope EPERM\n"
            "symlink EPERM\n"
            "hard link EPERM\n"
            "mkfifo EPERM\n"
            "file at top EPERM\n"
            "write pending OK\n"
            "read pending EBUSY\n"
            "write committed EACCES\n"
            "truncate committed EACCES\n"
            "create in committed EACCES\n"
            "rename in committed EACCES\n"
            "chmod committed OK\n"
            "utime committed dir OK\n"
            "read committed OK\n"
            "rmdir committed ENOTEMPTY\n"
            "rmdir missing ENOENT\n"
            "rename scope onto scope EEXIST\n"
            "rename to bad key EINVAL\n"
            "move file across scopes EXDEV\n"
            "unlink status OK\n"
            "rm control EPERM\n"
            "xattr ENOTSUP\n");  // EOPNOTSUPP: the kernel answers once told ENOSYS
  // Refusals say what was wrong in the daemon's log.
  EXPECT_NE(mount_->log().find("starts with '.'"), std::string::npos) << mount_->log();
  EXPECT_NE(mount_->log().find("other.txt"), std::string::npos);
}

TEST_F(MountTest, StatusSaysWhatIsMissingOrWrongAndAFixCommits) {
  const std::string& src = SmallScope();
  const std::string k = Mnt("k");
  ASSERT_EQ(Shell("mkdir " + Quote(k)).exit_code, 0);
  EXPECT_EQ(Shell("cat " + Quote(k + "/.status")).output,
            "waiting for: nodes.bits, links.bits, mappings.json, meta.json\n");
  ASSERT_EQ(Shell("cp " + Quote(src + "/meta.json") + " " + Quote(src + "/mappings.json") + " " +
                  Quote(k))
                .exit_code,
            0);
  EXPECT_EQ(Shell("cat " + Quote(k + "/.status")).output, "waiting for: nodes.bits, links.bits\n");
  ASSERT_EQ(Shell("cp " + Quote(src + "/links.bits") + " " + Quote(k)).exit_code, 0);
  // The last file is wrong: its close() fails with EINVAL and .status says why.
  ShellResult bad = Shell("printf abc > " + Quote(dir_.path() + "/bad") + " && cp " +
                          Quote(dir_.path() + "/bad") + " " + Quote(k + "/nodes.bits"));
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("Invalid argument"), std::string::npos) << bad.output;
  EXPECT_EQ(Shell("cat " + Quote(k + "/.status")).output,
            "invalid: nodes.bits is 3 bytes, total_nodes=5001 needs 626\n");
  EXPECT_EQ(Shell("ls -A " + Quote(k)).output,
            ".status\nlinks.bits\nmappings.json\nmeta.json\nnodes.bits\n");
  // Overwriting the wrong file commits the scope.
  ShellResult fix = Shell("cp " + Quote(src + "/nodes.bits") + " " + Quote(k + "/nodes.bits"));
  EXPECT_EQ(fix.exit_code, 0) << fix.output;
  EXPECT_EQ(Shell("ls -A " + Quote(k)).output,
            "links.bits\nlinks.idx\nmappings.json\nmeta.json\nnodes.bits\nnodes.idx\n");
  ExpectSameFiles(src, "k");
  EXPECT_NE(mount_->log().find("refused scope k: nodes.bits is 3 bytes"), std::string::npos);
}

TEST_F(MountTest, InvalidMappingsAreRefusedWithTheirReason) {
  const std::string& src = SmallScope();
  const std::string k = Mnt("k");
  ASSERT_EQ(Shell("mkdir " + Quote(k) + " && cp " + Quote(src) + "/*.bits " +
                  Quote(src + "/meta.json") + " " + Quote(k))
                .exit_code,
            0);
  ShellResult bad =
      RunScript("write_file.py",
                {k + "/mappings.json", R"({"node_id_mapping":{"a":5001},"link_id_mapping":{}})"});
  EXPECT_EQ(bad.output, "Invalid argument\n");
  EXPECT_EQ(Shell("cat " + Quote(k + "/.status")).output,
            "invalid: mappings.json: node index 5001 for \"a\" is out of range [0, 5001)\n");
  // The old cache's gzip form is accepted too (after removing the wrong file).
  ShellResult fix = Shell("rm " + Quote(k + "/mappings.json") + " && gzip -6 -c " +
                          Quote(src + "/mappings.json") + " > " + Quote(k + "/mappings.json.gz"));
  EXPECT_EQ(fix.exit_code, 0) << fix.output;
  ExpectSameFiles(src, "k");
}

TEST_F(MountTest, CopyOutAndBackInRoundTrips) {
  const std::string& src = SmallScope();
  ASSERT_EQ(Shell("cp -r " + Quote(src) + " " + Quote(Mnt("a"))).exit_code, 0);
  const std::string out = dir_.path() + "/copied-out";
  ASSERT_EQ(Shell("cp -r " + Quote(Mnt("a")) + " " + Quote(out)).exit_code, 0);
  ShellResult back = Shell("cp -r " + Quote(out) + " " + Quote(Mnt("b")));
  EXPECT_EQ(back.exit_code, 0) << back.output;
  ExpectSameFiles(src, "b");
  ExpectPythonSees(src, "b");
}

TEST_F(MountTest, RemovingAScopeWithRmOrRmtree) {
  const std::string& src = SmallScope();
  for (const char* key : {"a", "b", "c", "d"}) {
    ASSERT_EQ(Shell("cp -r " + Quote(src) + " " + Quote(Mnt(key))).exit_code, 0);
  }
  ShellResult rm = Shell("rm -r " + Quote(Mnt("a")));
  EXPECT_EQ(rm.exit_code, 0) << rm.output;
  ShellResult rmtree = Python("import shutil,sys; shutil.rmtree(sys.argv[1])", {Mnt("b")});
  EXPECT_EQ(rmtree.exit_code, 0) << rmtree.output;
  EXPECT_EQ(Shell("ls " + Quote(Mnt())).output, "c\nd\n");
  EXPECT_EQ(Shell("ls " + Quote(mount_->store() + "/scopes")).output, "c\nd\n");
  // A reader holding a file of a removed scope reads on; the bytes go at close.
  ShellResult held =
      Shell("exec 3< " + Quote(Mnt("c/mappings.json")) + " && rm -rf " + Quote(Mnt("c")) +
            " && ls " + Quote(mount_->store() + "/trash") + " | wc -l && cmp - " +
            Quote(src + "/mappings.json") + " <&3 && echo same");
  EXPECT_EQ(held.output, "1\nsame\n");
  // release() reaches the daemon after close() returns: wait for it, bounded.
  const std::string trash = Quote(mount_->store() + "/trash");
  EXPECT_EQ(Shell("for i in $(seq 500); do [ -z \"$(ls " + trash +
                  ")\" ] && break; sleep 0.01; done; ls " + trash)
                .output,
            "");
  // rm -rf of everything clears the cache; the key can be used again.
  EXPECT_EQ(Shell("rm -rf " + Quote(Mnt()) + "/*").exit_code, 0);
  EXPECT_EQ(Shell("ls " + Quote(Mnt())).output, "");
  EXPECT_EQ(Shell("cp -r " + Quote(src) + " " + Quote(Mnt("a"))).exit_code, 0);
  ExpectSameFiles(src, "a");
}

TEST_F(MountTest, RenamingAScopeDirectory) {
  const std::string& src = SmallScope();
  ASSERT_EQ(Shell("cp -r " + Quote(src) + " " + Quote(Mnt("old"))).exit_code, 0);
  ShellResult mv = Shell("mv " + Quote(Mnt("old")) + " " + Quote(Mnt("new")));
  EXPECT_EQ(mv.exit_code, 0) << mv.output;
  EXPECT_EQ(Shell("ls " + Quote(Mnt())).output, "new\n");
  ExpectSameFiles(src, "new");
  ExpectPythonSees(src, "new");
  EXPECT_EQ(mount_->Stop(), 0);
  std::string error;
  ASSERT_TRUE(mount_->Start(&error)) << error;  // and it stays renamed
  ExpectSameFiles(src, "new");
}

TEST_F(MountTest, ControlFilesDescribeTheCache) {
  ASSERT_EQ(Shell("cp -r " + Quote(SmallScope()) + " " + Quote(Mnt("a"))).exit_code, 0);
  ShellResult r = RunScript("control_files.py", {Mnt()});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  ShellResult df = Shell("df -B1 --output=size " + Quote(Mnt()) + " | tail -1");
  EXPECT_EQ(df.output, std::to_string(uint64_t{10} << 30) + "\n");
}

// Committed files are immutable and opened with keep_cache: a second open is
// served by the kernel's page cache, so no read reaches the daemon and the
// bits files are not read from disk and checked again (bits_verified counts
// those checks). Counted, not timed (docs/BENCHMARKS.md, "Warm reads").
TEST_F(MountTest, ASecondOpenOfACommittedFileIsServedFromThePageCache) {
  const std::string& src = SmallScope();
  ASSERT_EQ(Shell("cp -r " + Quote(src) + " " + Quote(Mnt("k"))).exit_code, 0);
  auto counters = [&] {
    return RunScript("stats_fields.py", {Mnt(), "bytes_served", "bits_verified"}).output;
  };
  const std::string cat = "cat " + Quote(Mnt("k/nodes.bits")) + " " + Quote(Mnt("k/links.bits")) +
                          " " + Quote(Mnt("k/mappings.json")) + " >/dev/null";
  ASSERT_EQ(Shell(cat).exit_code, 0);
  uint64_t size = 0;
  for (const char* f : {"nodes.bits", "links.bits", "mappings.json"})
    size += ReadFile(src + "/" + f).size();
  const std::string first = counters();
  EXPECT_EQ(first, std::to_string(size) + " 2\n") << "the first reads come from the daemon";
  for (int i = 0; i < 2; ++i) ASSERT_EQ(Shell(cat).exit_code, 0);
  EXPECT_EQ(counters(), first) << "a later open read from the daemon or checked a bits file again";
  ExpectSameFiles(src, "k");
}

TEST_F(MountTest, KilledMidCopyRestartsWithoutThePartialScope) {
  const std::string& small = SmallScope();
  const std::string& big = GenScope(470000, 940000);
  ASSERT_EQ(Shell("cp -r " + Quote(small) + " " + Quote(Mnt("kept"))).exit_code, 0);
  // Copy the big scope in the background; kill the daemon once its pending files appear.
  ShellResult kill = Shell("(cp -r " + Quote(big) + " " + Quote(Mnt("partial")) +
                           " >/dev/null 2>&1 &) ; "
                           "for i in $(seq 1000); do [ -e " +
                           Quote(mount_->store() + "/pending/partial") +
                           " ] && echo found && break; sleep 0.005; done");
  EXPECT_EQ(kill.output, "found\n");
  mount_->Kill();
  std::string error;
  ASSERT_TRUE(mount_->Start(&error)) << error;
  EXPECT_EQ(Shell("ls " + Quote(Mnt())).output, "kept\n");
  EXPECT_EQ(Shell("ls " + Quote(mount_->store() + "/pending")).output, "");
  ExpectSameFiles(small, "kept");
  EXPECT_NE(mount_->log().find("recovery: removing leftover"), std::string::npos);
}

// A small cache: three entries.
class MountLimitsTest : public MountTest {
 protected:
  std::vector<std::string> ExtraArgs() override {
    return {"--max-entries", "3", "--maintenance-interval", "1s"};
  }
  void Add(const std::string& key) {
    ASSERT_EQ(Shell("cp -r " + Quote(SmallScope()) + " " + Quote(Mnt(key))).exit_code, 0) << key;
  }
  void Read(const std::string& key) {  // an access, in SPEC's terms
    ASSERT_EQ(Shell("cat " + Quote(Mnt(key + "/nodes.bits")) + " >/dev/null").exit_code, 0) << key;
  }
  // `ls` of the mount, polled until it equals `want` (evictions reach the
  // kernel asynchronously) for at most `seconds`.
  std::string LsWithin(const std::string& want, double seconds) {
    const std::string ls = "ls " + Quote(Mnt()) + " | tr '\\n' ' '";
    return Shell("for i in $(seq " + std::to_string(int(seconds * 50)) + "); do [ \"$(" + ls +
                 ")\" = " + Quote(want + " ") + " ] && break; sleep 0.02; done; " + ls)
        .output;
  }
};

TEST_F(MountLimitsTest, EvictsTheLeastRecentlyReadAndTheKernelForgetsIt) {
  for (const char* key : {"a", "b", "c"}) Add(key);
  // A reader opens b's mappings (an access), then a and c are read, so b is
  // the least recently used when d arrives, and is evicted while held open.
  ShellResult held =
      Shell("exec 3< " + Quote(Mnt("b/mappings.json")) + "; cat " + Quote(Mnt("a/nodes.bits")) +
            " " + Quote(Mnt("c/nodes.bits")) + " >/dev/null; cp -r " + Quote(SmallScope()) + " " +
            Quote(Mnt("d")) + " && ls " + Quote(Mnt()) + " | tr '\\n' ' ' && cmp - " +
            Quote(SmallScope() + "/mappings.json") + " <&3 && echo same");
  EXPECT_EQ(held.output, "a c d same\n");
  // b is gone for lookups at once, not after the kernel's entry timeout.
  EXPECT_NE(Shell("stat " + Quote(Mnt("b"))).exit_code, 0);
  EXPECT_NE(Shell("cat " + Quote(Mnt("b/nodes.bits"))).output.find("No such file"),
            std::string::npos);
  ShellResult stats = RunScript("eviction_stats.py", {Mnt(), SmallScope()});
  EXPECT_EQ(stats.output, "3 1 4 3 True True\n");
  // Its bytes went when the reader closed.
  EXPECT_EQ(Shell("for i in $(seq 250); do [ -z \"$(ls " + Quote(mount_->store() + "/trash") +
                  ")\" ] && break; sleep 0.02; done; ls " + Quote(mount_->store() + "/trash"))
                .output,
            "");
}

class MountTtlTest : public MountLimitsTest {
 protected:
  std::vector<std::string> ExtraArgs() override {
    return {"--ttl", "2s", "--maintenance-interval", "1s"};
  }
};

TEST_F(MountTtlTest, ExpiresTheUnreadScopeNotTheReadOne) {
  Add("unread");
  Add("read");
  for (int i = 0; i < 6; ++i) {  // keep reading one of them for 3 s
    Read("read");
    Shell("sleep 0.5");
  }
  EXPECT_EQ(LsWithin("read", 3), "read ");
  EXPECT_NE(Shell("stat " + Quote(Mnt("unread"))).exit_code, 0);
  // The next maintenance pass removes it from disk.
  EXPECT_EQ(
      Shell("for i in $(seq 150); do [ \"$(ls " + Quote(mount_->store() + "/scopes") +
            ")\" = read ] && break; sleep 0.02; done; ls " + Quote(mount_->store() + "/scopes"))
          .output,
      "read\n");
}

TEST_F(MountLimitsTest, LruOrderSurvivesARestart) {
  for (const char* key : {"a", "b", "c"}) Add(key);
  Read("a");  // b is now the least recently used
  EXPECT_EQ(mount_->Stop(), 0);
  std::string error;
  ASSERT_TRUE(mount_->Start(&error)) << error;
  Add("d");
  EXPECT_EQ(LsWithin("a c d", 2), "a c d ");
}

TEST(DaemonTest, SignalsUnmountCleanlyAndADeadMountIsClearedOnStart) {
  REQUIRE_FUSE();
  TempDir dir;
  ScopefsMount mount(dir.path(), {}, /*auto_unmount=*/false);
  auto mounted = [&] {
    return Shell("grep -c " + Quote(" " + mount.mnt() + " ") + " /proc/mounts").output;
  };
  std::string error;
  for (int signal : {SIGTERM, SIGINT}) {
    ASSERT_TRUE(mount.Start(&error)) << error;
    if (signal == SIGTERM) {
      ASSERT_EQ(Shell("cp -r " + Quote(SmallScope()) + " " + Quote(mount.mnt() + "/a")).exit_code,
                0);
    }
    EXPECT_EQ(mount.Terminate(signal), 0) << mount.log();
    EXPECT_EQ(mounted(), "0\n");
  }
  // SIGKILL without auto_unmount leaves a dead mount; the next start clears it.
  ASSERT_TRUE(mount.Start(&error)) << error;
  mount.KillLeavingDeadMount();
  EXPECT_NE(Shell("ls " + Quote(mount.mnt())).output.find("Transport endpoint is not connected"),
            std::string::npos);
  ASSERT_TRUE(mount.Start(&error)) << error;
  EXPECT_EQ(Shell("ls " + Quote(mount.mnt())).output, "a\n");
  EXPECT_NE(mount.log().find("clearing the dead mount"), std::string::npos) << mount.log();
  EXPECT_EQ(mount.Stop(), 0);
}

// What mount -t fuse.scopefs (and so /etc/fstab) runs: mount.fuse3 starts
// `scopefs STORE MNT -o OPTS` from PATH, which backgrounds once mounted.
TEST(DaemonTest, MountFuse3HelperMountsWithFstabOptions) {
  REQUIRE_FUSE();
  if (Shell("command -v mount.fuse3").exit_code != 0) GTEST_SKIP() << "no mount.fuse3";
  TempDir dir;
  const std::string store = dir.path() + "/store", mnt = dir.path() + "/mnt";
  ASSERT_EQ(Shell("mkdir " + Quote(mnt)).exit_code, 0);
  // mount(8) runs mount.fuse3, which finds `scopefs` on a fixed PATH: put the
  // built one there unless a scopefs is installed (then this tests that one's
  // helper path, with our daemon's options).
  const std::string link = "/usr/local/bin/scopefs";
  const bool linked =
      access(link.c_str(), F_OK) != 0 && ::symlink(ScopefsPath().c_str(), link.c_str()) == 0;
  struct Unlink {
    bool linked;
    std::string link;
    ~Unlink() {
      if (linked) ::unlink(link.c_str());
    }
  } unlink_after{linked, link};
  ShellResult mount = Shell("mount -t fuse.scopefs " + Quote(store) + " " + Quote(mnt) +
                            " -o rw,nosuid,nodev,max_entries=5,ttl=1h");
  EXPECT_EQ(mount.exit_code, 0) << mount.output;
  ShellResult stats = RunScript("stats_fields.py", {mnt, "max_entries", "ttl_seconds"});
  EXPECT_EQ(stats.output, "5 3600\n");
  EXPECT_EQ(Shell("grep -c " + Quote(" " + mnt + " fuse.scopefs ") + " /proc/mounts").output,
            "1\n");
  EXPECT_EQ(Shell("umount " + Quote(mnt)).exit_code, 0);
  // The daemon goes with the mount (bounded wait), and nothing is left mounted.
  // ("scopef[s]" so pgrep does not find this very shell, whose command line holds the pattern.)
  EXPECT_EQ(Shell("for i in $(seq 250); do pgrep -f " + Quote("scopef[s] " + store) +
                  " >/dev/null || exit 0; sleep 0.02; done; exit 1")
                .exit_code,
            0);
  Shell("grep -q " + Quote(" " + mnt + " ") + " /proc/mounts && fusermount3 -uz " + Quote(mnt));
}

TEST(DaemonTest, RefusesBadArgumentsASecondDaemonAndAStoreInsideTheMount) {
  REQUIRE_FUSE();
  TempDir dir;
  ShellResult bad = Shell(Quote(ScopefsPath()) + " --max-size 10X a b");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.output.find("bad size"), std::string::npos) << bad.output;
  EXPECT_EQ(Shell(Quote(ScopefsPath()) + " onlyone").exit_code, 2);
  EXPECT_EQ(Shell(Quote(ScopefsPath()) + " --frobnicate a b").exit_code, 2);
  EXPECT_EQ(Shell(Quote(ScopefsPath()) + " --help").exit_code, 0);

  ScopefsMount first(dir.path());
  std::string error;
  ASSERT_TRUE(first.Start(&error)) << error;
  const std::string other_mnt = dir.path() + "/other";
  ASSERT_EQ(Shell("mkdir " + Quote(other_mnt)).exit_code, 0);
  ShellResult second =
      Shell(Quote(ScopefsPath()) + " -f " + Quote(first.store()) + " " + Quote(other_mnt), 20);
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_NE(second.output.find("locked by another process"), std::string::npos) << second.output;
  ShellResult inside = Shell(
      Quote(ScopefsPath()) + " -f " + Quote(first.mnt() + "/x") + " " + Quote(first.mnt()), 20);
  EXPECT_EQ(inside.exit_code, 1);
  EXPECT_NE(inside.output.find("inside the mountpoint"), std::string::npos) << inside.output;
  EXPECT_EQ(first.Stop(), 0);
}

}  // namespace
}  // namespace scopefs::testing
