// nodes.idx and links.idx on a real mount (issue 14): listed first in every
// committed scope, served as stored through the page cache (mmap works),
// exact for Python's scopefs.open_scope, an access when opened; copies of
// them written back are discarded, so every copy tool round-trips a scope;
// none with -o index=off, where Python falls back to the JSON.
#include <gtest/gtest.h>

#include "tests/mount/mount_test.h"

namespace scopefs::testing {
namespace {

constexpr const char* kListing =
    "links.bits\nlinks.idx\nmappings.json\nmeta.json\nnodes.bits\nnodes.idx\n";

TEST_F(MountTest, IndexFilesAreListedFirstAndServedAsStored) {
  const std::string& src = SmallScope();
  ASSERT_EQ(Shell("cp -r " + Quote(src) + " " + Quote(Mnt("k"))).exit_code, 0);
  // Directory order (what cp and tar copy in): the index files first.
  EXPECT_EQ(Shell("ls -U " + Quote(Mnt("k"))).output,
            "nodes.idx\nlinks.idx\nnodes.bits\nlinks.bits\nmappings.json\nmeta.json\n");
  for (const char* f : {"nodes.idx", "links.idx"}) {
    const std::string stored = mount_->store() + "/scopes/k/" + f;
    ShellResult cmp = Shell("cmp " + Quote(stored) + " " + Quote(Mnt("k/") + f));
    EXPECT_EQ(cmp.exit_code, 0) << f << ": " << cmp.output;
    EXPECT_EQ(Shell("stat -c '%s %A' " + Quote(Mnt("k/") + f)).output,
              Shell("stat -c '%s -r--r--r--' " + Quote(stored)).output);
  }
  ShellResult r = RunScript("check_index.py", {src, Mnt("k")});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "ok indexed=True\n");
  // Writing an index of a committed scope is refused like any other file.
  EXPECT_NE(Shell("echo x > " + Quote(Mnt("k/nodes.idx"))).exit_code, 0);
  EXPECT_EQ(Shell("cmp " + Quote(mount_->store() + "/scopes/k/nodes.idx") + " " +
                  Quote(Mnt("k/nodes.idx")))
                .exit_code,
            0);
}

TEST_F(MountTest, OpeningAnIndexFileIsAnAccess) {
  const std::string& src = SmallScope();
  ASSERT_EQ(Shell("cp -r " + Quote(src) + " " + Quote(Mnt("k"))).exit_code, 0);
  const std::string last_accessed =
      "/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))"
      "[\"last_accessed\"])' " +
      Quote(Mnt("k/meta.json"));
  const std::string before = Shell(last_accessed).output;
  ASSERT_EQ(Shell("sleep 1.1 && cat " + Quote(Mnt("k/links.idx")) + " >/dev/null").exit_code, 0);
  EXPECT_NE(Shell(last_accessed).output, before);
}

TEST_F(MountTest, ScopesCopyOutAndBackInWithTheirIndexFilesByEveryTool) {
  const std::string& src = SmallScope();
  ASSERT_EQ(Shell("cp -r " + Quote(src) + " " + Quote(Mnt("a"))).exit_code, 0);
  // Lookup history must not change the order a copy takes: read the four
  // scope files first, as a check of the copy would.
  ExpectSameFiles(src, "a");
  const std::string out = dir_.path() + "/out";
  ASSERT_EQ(Shell("mkdir " + Quote(out)).exit_code, 0);
  struct Case {
    std::string key, out_command, in_command;
  } cases[] = {
      {"by-cp", "cp -r " + Quote(Mnt("a")) + " " + Quote(out + "/cp"),
       "cp -r " + Quote(out + "/cp") + " " + Quote(Mnt("by-cp"))},
      {"by-cp-a", "cp -a " + Quote(Mnt("a")) + " " + Quote(out + "/cpa"),
       "cp -a " + Quote(out + "/cpa") + " " + Quote(Mnt("by-cp-a"))},
      {"by-tar", "tar -C " + Quote(Mnt()) + " -cf " + Quote(out + "/a.tar") + " a",
       "tar -x -C " + Quote(Mnt()) + " --transform 's,^a,by-tar,' -f " + Quote(out + "/a.tar")},
      {"by-rsync", "rsync -a " + Quote(Mnt("a") + "/") + " " + Quote(out + "/rsync/"),
       "rsync -a " + Quote(out + "/rsync/") + " " + Quote(Mnt("by-rsync") + "/")},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.key);
    ShellResult copy_out = Shell(c.out_command);
    ASSERT_EQ(copy_out.exit_code, 0) << copy_out.output;
    ShellResult copy_in = Shell(c.in_command);
    EXPECT_EQ(copy_in.exit_code, 0) << copy_in.output;
    EXPECT_EQ(copy_in.output, "");
    EXPECT_EQ(Shell("ls -A " + Quote(Mnt(c.key))).output, kListing);
    ExpectSameFiles(src, c.key);
    for (const char* f : {"nodes.idx", "links.idx"}) {
      EXPECT_EQ(Shell("cmp " + Quote(Mnt("a/") + f) + " " + Quote(Mnt(c.key + "/") + f)).exit_code,
                0)
          << f;
    }
  }
  EXPECT_EQ(Shell("ls -A " + Quote(mount_->store() + "/pending")).output, "");
  // rsync again, onto the committed copy, and from the copy-out onto the
  // original: each succeeds, and sends no data file (the copied index files
  // kept their times, so they are up to date).
  for (const auto& [from, to] : {std::pair{out + "/rsync/", Mnt("by-rsync") + "/"},
                                 std::pair{out + "/rsync/", Mnt("a") + "/"}}) {
    ShellResult again =
        Shell("rsync -a --itemize-changes --exclude meta.json " + Quote(from) + " " + Quote(to));
    EXPECT_EQ(again.exit_code, 0) << again.output;
    EXPECT_EQ(again.output.find(">f"), std::string::npos) << "rsync sent data:\n" << again.output;
  }
  // An index that differs (here: from another scope) is taken and discarded
  // in a committed scope too: the one built from its mappings stays.
  const std::string& other = GenScope(3001, 4003);
  ASSERT_EQ(Shell("cp -r " + Quote(other) + " " + Quote(Mnt("o"))).exit_code, 0);
  const std::string before = Shell("md5sum < " + Quote(Mnt("a/nodes.idx"))).output;
  ShellResult foreign = Shell("rsync -a " + Quote(Mnt("o/nodes.idx")) + " " +
                              Quote(Mnt("o/links.idx")) + " " + Quote(Mnt("a") + "/"));
  EXPECT_EQ(foreign.exit_code, 0) << foreign.output;
  EXPECT_EQ(Shell("md5sum < " + Quote(Mnt("a/nodes.idx"))).output, before);
  EXPECT_EQ(Shell("ls -A " + Quote(Mnt("a"))).output, kListing);
  ShellResult r = RunScript("check_index.py", {src, Mnt("a")});
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

class MountWithoutIndexTest : public MountTest {
  std::vector<std::string> ExtraArgs() override { return {"-o", "index=off"}; }
};

TEST_F(MountWithoutIndexTest, ScopesHaveNoIndexFilesAndPythonReadsTheJson) {
  const std::string& src = SmallScope();
  ASSERT_EQ(Shell("cp -r " + Quote(src) + " " + Quote(Mnt("k"))).exit_code, 0);
  EXPECT_EQ(Shell("ls -A " + Quote(Mnt("k"))).output,
            "links.bits\nmappings.json\nmeta.json\nnodes.bits\n");
  EXPECT_EQ(Shell("ls " + Quote(mount_->store() + "/scopes/k")).output,
            "links.bits\nmappings.json.gz\nmeta.json\nnodes.bits\n");
  ShellResult r = RunScript("check_index.py", {src, Mnt("k"), "--expect-json"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(r.output.ends_with("ok indexed=False\n")) << r.output;
  // It says so, and why.
  EXPECT_NE(r.output.find("no nodes.idx (a mount with -o index=off"), std::string::npos)
      << r.output;
}

}  // namespace
}  // namespace scopefs::testing
