// Tests scopectl's cache commands offline (--store): the real binary on a
// store directory, with an old-layout cache written by Debian's python3 the
// way the old class wrote it (tests/support/make_old_cache.py).
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "store/env.h"
#include "store/mapping_index.h"
#include "store/store.h"
#include "tests/support/scope_files.h"
#include "tests/support/shell.h"
#include "tools/scopectl/format.h"

namespace scopefs::tools {
namespace {

using testing::Python;
using testing::Quote;
using testing::ReadFile;
using testing::Shell;
using testing::ShellResult;
using testing::TempDir;

struct CtlResult {
  int exit_code = -1;
  std::string out;  // stdout only
  std::string err;
};

class ScopectlCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (Python("import bitarray").exit_code != 0) GTEST_SKIP() << "/usr/bin/python3 lacks bitarray";
    ShellResult made =
        Shell("/usr/bin/python3 " + Quote(SCOPEFS_TESTS_DIR "/support/make_old_cache.py") + " " +
              Quote(old_));
    ASSERT_EQ(made.exit_code, 0) << made.output;
  }

  // Runs scopectl with `args` (already quoted) on the store; `input` is its stdin.
  CtlResult Ctl(const std::string& args, const std::string& input = "") {
    const std::string out = dir_.path() + "/ctl.out", err = dir_.path() + "/ctl.err";
    ShellResult r = Shell("printf %s " + Quote(input) + " | " + Quote(SCOPECTL_PATH) + " " + args +
                          " --store " + Quote(store_) + " >" + Quote(out) + " 2>" + Quote(err));
    return {r.exit_code, ReadFile(out), ReadFile(err)};
  }

  nlohmann::json Json(const std::string& args) {
    CtlResult r = Ctl(args + " --json");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out, nullptr, false);
  }

  std::vector<std::string> Keys() {
    std::vector<std::string> keys;
    for (const auto& meta : Json("ls")) keys.push_back(meta["scope_key"]);
    return keys;
  }

  void Import() {
    CtlResult r = Ctl("import " + Quote(old_));
    ASSERT_EQ(r.exit_code, 1) << r.out << r.err;  // the broken entries
    ASSERT_EQ(Keys(), (std::vector<std::string>{"empty0", "wide", "odd13"}));
  }

  TempDir dir_;
  const std::string old_ = dir_.path() + "/old";
  const std::string store_ = dir_.path() + "/store";
};

TEST_F(ScopectlCacheTest, ImportKeepsTimesAndBytesAndSkipsBrokenEntriesWithAReason) {
  CtlResult r = Ctl("import " + Quote(old_));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  for (const char* line : {"imported odd13: ", "imported wide: ", "imported empty0: ",
                           "skipped nolinks: nolinks_links.bits: No such file or directory",
                           "skipped badindex: ", "expired stale: last accessed 3d ago",
                           "skipped orphan: files without an entry in cache_metadata.json"}) {
    EXPECT_NE(r.out.find(line), std::string::npos) << line << "\n" << r.out;
  }
  EXPECT_NE(r.out.find("3 imported, 0 already present, 1 expired, 3 skipped, of 7 entries"),
            std::string::npos)
      << r.out;
  // The validation's own reason, not just "invalid".
  const size_t bad = r.out.find("skipped badindex: ");
  EXPECT_NE(r.out.find("node index 63 for \"node-x\" is out of range [0, 13)", bad),
            std::string::npos)
      << r.out;

  // Most recently used first; times and attributes as the old metadata said.
  EXPECT_EQ(Keys(), (std::vector<std::string>{"empty0", "wide", "odd13"}));
  ShellResult same = Python(R"(
import json, sys, datetime, subprocess
old = json.load(open(sys.argv[1] + "/cache_metadata.json"))
for key in ("odd13", "wide", "empty0"):
    new = json.loads(subprocess.run([sys.argv[2], "info", "--json", "--store", sys.argv[3], key],
                                    check=True, capture_output=True).stdout)
    for t in ("created_at", "last_accessed"):
        a = datetime.datetime.fromisoformat(old[key][t]).astimezone()
        b = datetime.datetime.fromisoformat(new[t])
        assert abs((a - b).total_seconds()) < 1e-3, (key, t, a, b)
    for f in ("total_nodes", "total_links", "config_attributes", "nodes_file_size", "links_file_size"):
        assert new[f] == old[key][f], (key, f, new[f], old[key][f])
print("ok")
)",
                            {old_, SCOPECTL_PATH, store_});
  EXPECT_EQ(same.exit_code, 0) << same.output;

  // The stored bytes are the old ones: bits as they were, mappings as zcat reads them.
  for (const char* key : {"odd13", "wide", "empty0"}) {
    const std::string k(key), scope = store_ + "/scopes/" + k;
    for (const char* kind : {"nodes", "links"}) {
      ShellResult cmp = Shell("cmp " + Quote(old_ + "/" + k + "_" + kind + ".bits") + " " +
                              Quote(scope + "/" + kind + ".bits"));
      EXPECT_EQ(cmp.exit_code, 0) << key << " " << kind << ": " << cmp.output;
    }
    const std::string stored = dir_.path() + "/stored.json";
    ShellResult maps =
        Shell("zcat " + Quote(scope + "/mappings.json.gz") + " >" + Quote(stored) + " && zcat " +
              Quote(old_ + "/" + k + "_mappings.json.gz") + " | cmp - " + Quote(stored));
    EXPECT_EQ(maps.exit_code, 0) << key << ": " << maps.output;
  }

  // Running it again imports nothing twice and changes nothing.
  CtlResult again = Ctl("import --json " + Quote(old_));
  EXPECT_EQ(again.exit_code, 1) << again.err;
  nlohmann::json report = nlohmann::json::parse(again.out, nullptr, false);
  ASSERT_TRUE(report.is_object()) << again.out;
  EXPECT_EQ(report["imported"].size(), 0u);
  EXPECT_EQ(report["present"], (nlohmann::json{"odd13", "wide", "empty0"}));
  EXPECT_EQ(report["skipped"].size(), 3u);
  EXPECT_EQ(Keys(), (std::vector<std::string>{"empty0", "wide", "odd13"}));
}

TEST_F(ScopectlCacheTest, ImportBuildsIndexFilesThatAgreeWithTheMappings) {
  Import();
  struct Expected {
    const char* key;
    uint64_t nodes, links;
  };
  for (const Expected& e : {Expected{"odd13", 13, 7}, {"wide", 1000, 2500}, {"empty0", 0, 0}}) {
    for (auto [kind, count] : {std::pair{"node", e.nodes}, std::pair{"link", e.links}}) {
      SCOPED_TRACE(std::string(e.key) + " " + kind);
      const std::string idx = ReadFile(store_ + "/scopes/" + e.key + "/" + kind + "s.idx");
      ASSERT_GE(idx.size(), store::kIndexHeaderSize);
      // make_old_cache.py's mappings: "<kind>-<i>" is i.
      for (uint64_t i = 0; i <= count; ++i) {
        store::Result<std::optional<uint64_t>> got =
            store::LookUpIndex(idx, std::string(kind) + "-" + std::to_string(i));
        ASSERT_TRUE(got.ok()) << got.status().ToString();
        EXPECT_EQ(*got, i < count ? std::optional<uint64_t>(i) : std::nullopt) << i;
      }
      const char* other = kind[0] == 'n' ? "link-0" : "node-0";
      EXPECT_EQ(store::LookUpIndex(idx, other).value(), std::nullopt);
    }
  }
  CtlResult verified = Ctl("verify");  // which rebuilds each index from the mappings
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
}

TEST_F(ScopectlCacheTest, ImportShowsAProgressBarOnATerminal) {
  if (Shell("command -v script").exit_code != 0)
    GTEST_SKIP() << "no script(1) to give it a terminal";
  ShellResult r =
      Shell("script -qec " +
            Quote(Quote(SCOPECTL_PATH) + " import --store " + Quote(store_) + " " + Quote(old_)) +
            " /dev/null");
  EXPECT_NE(r.output.find("\r\033[K"), std::string::npos) << r.output;  // redrawn in place
  EXPECT_NE(r.output.find("] 7/7 entries"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("3 imported"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("committed scope"), std::string::npos)
      << "the store's chatter: " << r.output;
}

TEST_F(ScopectlCacheTest, VerifyFindsAFlippedByteInEachKindOfStoredFile) {
  Import();
  CtlResult clean = Ctl("verify");
  EXPECT_EQ(clean.exit_code, 0) << clean.out << clean.err;
  EXPECT_NE(clean.out.find("verified 3 scopes: 3 ok"), std::string::npos) << clean.out;

  for (const char* file :
       {"nodes.bits", "links.bits", "mappings.json.gz", "meta.json", "nodes.idx", "links.idx"}) {
    SCOPED_TRACE(file);
    if (Keys().size() < 3) {  // start each kind from a whole cache
      ASSERT_EQ(Ctl("clear --yes").exit_code, 0);
      Import();
    }
    const std::string path = store_ + "/scopes/wide/" + file;
    const uint64_t size = std::filesystem::file_size(path);
    ShellResult flip = Python(R"(
import sys
path, at = sys.argv[1], int(sys.argv[2])
with open(path, "r+b") as f:
    f.seek(at); b = f.read(1); f.seek(at); f.write(bytes([b[0] ^ 0x10]))
)",
                              {path, std::to_string(size / 2)});
    ASSERT_EQ(flip.exit_code, 0) << flip.output;

    CtlResult r = Ctl("verify");
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.out.find("corrupt  wide: "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("verified 3 scopes: 2 ok, 1 damaged"), std::string::npos) << r.out;
    EXPECT_NE(r.err.find("wide: corrupt"), std::string::npos) << r.err;
    // Quarantined: gone, the others untouched.
    EXPECT_EQ(Keys(), (std::vector<std::string>{"empty0", "odd13"}));
    EXPECT_EQ(Ctl("verify odd13 empty0").exit_code, 0);
  }
}

TEST_F(ScopectlCacheTest, RmClearAndGcOffline) {
  Import();
  CtlResult rm = Ctl("rm odd13 nosuch");
  EXPECT_EQ(rm.exit_code, 1);
  EXPECT_NE(rm.out.find("removed odd13"), std::string::npos) << rm.out;
  EXPECT_NE(rm.err.find("no scope nosuch"), std::string::npos) << rm.err;
  EXPECT_EQ(Keys(), (std::vector<std::string>{"empty0", "wide"}));

  // "wide" was last accessed 10 minutes ago, "empty0" 5.
  CtlResult gc = Ctl("gc --ttl 8m --json");
  EXPECT_EQ(gc.exit_code, 0) << gc.err;
  EXPECT_EQ(nlohmann::json::parse(gc.out, nullptr, false)["expired"], 1) << gc.out;
  EXPECT_EQ(Keys(), (std::vector<std::string>{"empty0"}));

  CtlResult no = Ctl("clear", "n\n");
  EXPECT_EQ(no.exit_code, 1);
  EXPECT_NE(no.err.find("Remove all 1 scopes"), std::string::npos) << no.err;
  EXPECT_EQ(Keys().size(), 1u);
  CtlResult yes = Ctl("clear", "y\n");
  EXPECT_EQ(yes.exit_code, 0) << yes.err;
  EXPECT_TRUE(Keys().empty());
  EXPECT_EQ(Json("stats")["total_entries"], 0);
}

TEST_F(ScopectlCacheTest, OfflineCommandsRefuseAStoreADaemonHolds) {
  Import();
  const store::StoreOptions options;
  auto held = store::Store::Open(store::PosixEnv(), store_, options);
  ASSERT_TRUE(held.ok()) << held.status().ToString();
  CtlResult r = Ctl("ls");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("is locked by another process (pid " + std::to_string(getpid()) + ")"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("--mount"), std::string::npos) << r.err;
}

TEST_F(ScopectlCacheTest, BadArgumentsExit2AndEveryCommandHasHelp) {
  for (const char* args :
       {"info", "info a b", "rm", "import", "ls extra", "gc extra", "ls --bogus"}) {
    CtlResult r = Ctl(args);
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.err;
    EXPECT_NE(r.err.find("usage: scopectl"), std::string::npos) << args << ": " << r.err;
  }
  ShellResult both = Shell(Quote(SCOPECTL_PATH) + " ls --mount /a --store /b");
  EXPECT_EQ(both.exit_code, 2) << both.output;
  for (const char* command :
       {"stats", "ls", "info", "rm", "clear", "gc", "verify", "import", "gen"}) {
    ShellResult help = Shell(Quote(SCOPECTL_PATH) + " " + command + " --help");
    EXPECT_EQ(help.exit_code, 0) << command;
    EXPECT_EQ(help.output.rfind(std::string("usage: scopectl ") + command, 0), 0u) << help.output;
  }
  ShellResult no_mount = Shell("SCOPEFS_MOUNT=/nonexistent " + Quote(SCOPECTL_PATH) + " ls");
  EXPECT_EQ(no_mount.exit_code, 1);
  EXPECT_NE(no_mount.output.find("/nonexistent is not a scopefs mount"), std::string::npos)
      << no_mount.output;
  // Cache options may come before the command too.
  ShellResult leading = Shell(Quote(SCOPECTL_PATH) + " --store " + Quote(store_) + " --json stats");
  EXPECT_EQ(leading.exit_code, 0) << leading.output;
}

TEST(FormatTest, SizesDurationsAndTables) {
  EXPECT_EQ(HumanSize(0), "0");
  EXPECT_EQ(HumanSize(1023), "1023");
  EXPECT_EQ(HumanSize(1536), "1.5K");
  EXPECT_EQ(HumanSize(uint64_t{10} << 30), "10G");
  EXPECT_EQ(HumanSize(uint64_t{3} << 40 | uint64_t{1} << 39), "3.5T");
  EXPECT_EQ(HumanDuration(int64_t{45} * 1'000'000'000), "45s");
  EXPECT_EQ(HumanDuration(int64_t{3 * 3600 + 300} * 1'000'000'000), "3h 5m");
  EXPECT_EQ(HumanDuration(int64_t{2 * 86400} * 1'000'000'000), "2d");
  EXPECT_EQ(HumanAgo(0, 5), "-");
  EXPECT_EQ(HumanAgo(int64_t{100} * 1'000'000'000, int64_t{400} * 1'000'000'000), "5m ago");
  EXPECT_EQ(HumanAgo(int64_t{4000} * 1'000'000'000, int64_t{400} * 1'000'000'000), "in 1h");
  char* text = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&text, &size);
  Table table({"KEY", ">SIZE"});
  table.Add({"a", "1.5K"});
  table.Add({"longer", "12"});
  table.Print(out);
  std::fclose(out);
  EXPECT_STREQ(text, "KEY     SIZE\na       1.5K\nlonger    12\n");
  std::free(text);
}

}  // namespace
}  // namespace scopefs::tools
