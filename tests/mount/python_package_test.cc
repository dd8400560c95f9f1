// The scopefs Python package (tools/python/scopefs) on a real mount: the old
// cache class's documented workflow, end to end, through CacheScopeManager.
#include <gtest/gtest.h>

#include "tests/mount/mount_test.h"

namespace scopefs::testing {
namespace {

TEST_F(MountTest, PythonCacheScopeManagerRunsTheOldClassWorkflow) {
  // cache_scope (a commit, and a refused one returning False), has_scope,
  // load_scope (index-backed and dict mappings), the stats, list and info dicts,
  // invalidate_scope, cleanup and clear_cache, plus open_scope. On a daemon
  // that serves no nodes.idx / links.idx (before issue 14's index files, or
  // with -o index=off) this exercises the JSON fallback; the script prints which.
  ShellResult r = RunScript("scopefs_workflow.py", {Mnt()}, 300);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("ok indexed="), std::string::npos) << r.output;
  EXPECT_EQ(mount_->Stop(), 0) << mount_->log();
}

}  // namespace
}  // namespace scopefs::testing
