// Tests `scopectl gen` by running the real binary (SCOPECTL_PATH) in a temp dir and
// checking its output with the tools a user would: Debian's python3 with bitarray.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/shell.h"

namespace scopefs::tools {
namespace {

namespace fs = std::filesystem;

// Debian's interpreter: the python3 first on PATH may lack python3-bitarray.
constexpr char kPython[] = "/usr/bin/python3";

struct RunResult {
  int exit_code = -1;  // -1 unless the process exited normally
  std::string out;
  std::string err;
};

std::string ReadFile(const fs::path& path) { return testing::ReadFile(path.string()); }

// Runs `argv` with stdout and stderr captured through files in `scratch`. A
// `max_file_size` limits the size of files the process may write (RLIMIT_FSIZE);
// writes past it fail with EFBIG.
RunResult RunProcess(const std::vector<std::string>& argv, const fs::path& scratch,
                     std::optional<rlim_t> max_file_size = std::nullopt) {
  fs::path out_path = scratch / "run.stdout";
  fs::path err_path = scratch / "run.stderr";
  std::vector<char*> c_argv;
  for (const std::string& a : argv) c_argv.push_back(const_cast<char*>(a.c_str()));
  c_argv.push_back(nullptr);

  pid_t pid = fork();
  if (pid == 0) {
    int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0 || err < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) _exit(127);
    if (max_file_size) {
      signal(SIGXFSZ, SIG_IGN);  // so the write fails with EFBIG instead of killing
      struct rlimit limit = {*max_file_size, *max_file_size};
      if (setrlimit(RLIMIT_FSIZE, &limit) != 0) _exit(127);
    }
    execv(c_argv[0], c_argv.data());
    _exit(127);
  }
  RunResult result;
  if (pid < 0) return result;
  int status = 0;
  if (waitpid(pid, &status, 0) == pid && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  result.out = ReadFile(out_path);
  result.err = ReadFile(err_path);
  fs::remove(out_path);
  fs::remove(err_path);
  return result;
}

class ScopectlGenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = getenv("TMPDIR");
    std::string templ =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/scopectl_gen_test.XXXXXX";
    ASSERT_NE(mkdtemp(templ.data()), nullptr) << templ << ": " << strerror(errno);
    dir_ = templ;
    scratch_ = dir_ / "scratch";
    ASSERT_TRUE(fs::create_directory(scratch_));
  }

  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  RunResult Scopectl(std::initializer_list<std::string> args,
                     std::optional<rlim_t> max_file_size = std::nullopt) {
    std::vector<std::string> argv = {SCOPECTL_PATH};
    argv.insert(argv.end(), args);
    return RunProcess(argv, scratch_, max_file_size);
  }

  // Generates `name` under the temp dir with 1001 nodes and 2003 links (not multiples
  // of 8, so the bits files end in padding) and returns its path.
  fs::path Gen(const std::string& name, const std::string& seed,
               const std::string& coverage = "0.5") {
    fs::path out = dir_ / name;
    RunResult r = Scopectl({"gen", "--nodes", "1001", "--links", "2003", "--seed", seed,
                            "--coverage", coverage, out.string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return out;
  }

  fs::path dir_;
  fs::path scratch_;
};

// Checked by Python exactly as a consumer of the old cache would read a scope.
constexpr char kCheckScript[] = R"PY(
import json, re, sys
from bitarray import bitarray
d, n, m, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def check(cond, msg):
    if not cond:
        sys.exit('FAIL: ' + msg)
for name, count in (('nodes.bits', n), ('links.bits', m)):
    b = bitarray(endian='big')
    with open(f'{d}/{name}', 'rb') as f:
        b.fromfile(f)
    padded = (count + 7) // 8 * 8
    check(len(b) == padded, f'{name}: {len(b)} bits, want {padded}')
    check(not b[count:].any(), f'{name}: padding bits are set')
    ones = b[:count].count()
    check(0.4 * count < ones < 0.6 * count, f'{name}: {ones} of {count} bits set at coverage 0.5')
with open(f'{d}/mappings.json', 'rb') as f:
    raw = f.read()
maps = json.loads(raw)
check(list(maps) == ['node_id_mapping', 'link_id_mapping'], f'top-level keys {list(maps)}')
check(json.dumps(maps, separators=(',', ':')).encode() == raw,
      'mappings.json differs from compact json.dumps of itself (duplicate ids?)')
nodes, links = maps['node_id_mapping'], maps['link_id_mapping']
check(sorted(nodes.values()) == list(range(n)), 'node indices are not exactly 0..N-1')
check(sorted(links.values()) == list(range(m)), 'link indices are not exactly 0..M-1')
node_id = re.compile(r'n:[0-9a-f]{12}')
check(all(node_id.fullmatch(k) for k in nodes), 'a node id is not n:<12 hex digits>')
for k in links:
    a, _, b = k.partition('->')
    check(a in nodes and b in nodes and a != b, f'link {k!r} does not join two distinct nodes')
with open(f'{d}/meta.json') as f:
    meta = json.load(f)
check(meta['total_nodes'] == n and meta['total_links'] == m, f'meta.json totals: {meta}')
attrs = meta['config_attributes']
check(attrs.get('generator') == 'scopectl gen' and attrs.get('seed') == seed and
      attrs.get('coverage') == 0.5, f'config_attributes: {attrs}')
print('ok')
)PY";

TEST_F(ScopectlGenTest, PythonReadsAValidScope) {
  if (RunProcess({kPython, "-c", "import bitarray"}, scratch_).exit_code != 0) {
    GTEST_SKIP() << kPython << " with python3-bitarray is needed to check the output";
  }
  fs::path out = Gen("scope", "7");
  RunResult check =
      RunProcess({kPython, "-c", kCheckScript, out.string(), "1001", "2003", "7"}, scratch_);
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_EQ(check.out, "ok\n");
}

TEST_F(ScopectlGenTest, WritesExactlyTheFourFilesAndASummary) {
  fs::path out = dir_ / "scope";
  RunResult r = Scopectl({"gen", "--nodes", "1001", "--links=2003", out.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("mappings.json"), std::string::npos) << r.out;
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(out)) names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names,
            (std::vector<std::string>{"links.bits", "mappings.json", "meta.json", "nodes.bits"}));
  EXPECT_EQ(fs::file_size(out / "nodes.bits"), 126u);  // ceil(1001 / 8)
  EXPECT_EQ(fs::file_size(out / "links.bits"), 251u);  // ceil(2003 / 8)
  EXPECT_EQ(ReadFile(out / "meta.json"),
            R"({"total_nodes":1001,"total_links":2003,"config_attributes":)"
            R"({"generator":"scopectl gen","seed":1,"coverage":0.5,"key_prefix":"n:"}})");
}

TEST_F(ScopectlGenTest, QuietPrintsNothing) {
  RunResult r = Scopectl({"gen", "--quiet", "--nodes", "3", "--links", "2", (dir_ / "q").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST_F(ScopectlGenTest, SameSeedSameBytesOtherSeedOtherBytes) {
  fs::path a = Gen("a", "42");
  fs::path b = Gen("b", "42");
  fs::path c = Gen("c", "43");
  for (const char* name : {"nodes.bits", "links.bits", "mappings.json", "meta.json"}) {
    EXPECT_EQ(ReadFile(a / name), ReadFile(b / name)) << name;
    EXPECT_NE(ReadFile(a / name), ReadFile(c / name)) << name;
  }
}

TEST_F(ScopectlGenTest, CoverageOneSetsEveryBitButThePadding) {
  fs::path full = Gen("full", "1", "1");
  EXPECT_EQ(ReadFile(full / "nodes.bits"), std::string(125, '\xff') + '\x80');  // 1001 = 125*8 + 1
  EXPECT_EQ(ReadFile(full / "links.bits"), std::string(250, '\xff') + '\xe0');  // 2003 = 250*8 + 3
  fs::path empty = Gen("empty", "1", "0");
  EXPECT_EQ(ReadFile(empty / "nodes.bits"), std::string(126, '\0'));
  EXPECT_EQ(ReadFile(empty / "links.bits"), std::string(251, '\0'));
}

TEST_F(ScopectlGenTest, EmptyScope) {
  fs::path out = dir_ / "none";
  RunResult r = Scopectl({"gen", "--nodes", "0", "--links", "0", out.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(fs::file_size(out / "nodes.bits"), 0u);
  EXPECT_EQ(fs::file_size(out / "links.bits"), 0u);
  EXPECT_EQ(ReadFile(out / "mappings.json"), R"({"node_id_mapping":{},"link_id_mapping":{}})");
}

TEST_F(ScopectlGenTest, UsesAnExistingEmptyDirectory) {
  fs::path out = dir_ / "existing";
  ASSERT_TRUE(fs::create_directory(out));
  RunResult r = Scopectl({"gen", "--nodes", "5", "--links", "4", out.string() + "/"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(out / "meta.json"));
}

TEST_F(ScopectlGenTest, RefusesANonEmptyDirectory) {
  fs::path out = dir_ / "full";
  ASSERT_TRUE(fs::create_directory(out));
  std::ofstream(out / "keep.txt") << "mine";
  RunResult r = Scopectl({"gen", "--nodes", "5", "--links", "4", out.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(out.string()), std::string::npos) << r.err;
  EXPECT_EQ(ReadFile(out / "keep.txt"), "mine");
  EXPECT_FALSE(fs::exists(out / "nodes.bits"));
}

TEST_F(ScopectlGenTest, FailsOnAFileOrAMissingParent) {
  fs::path file = dir_ / "file";
  std::ofstream(file) << "x";
  RunResult r = Scopectl({"gen", "--nodes", "5", "--links", "4", file.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(file.string()), std::string::npos) << r.err;

  fs::path orphan = dir_ / "no" / "such";
  r = Scopectl({"gen", "--nodes", "5", "--links", "4", orphan.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("No such file or directory"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir_ / "no"));
}

TEST_F(ScopectlGenTest, AFailedWriteRemovesWhatItCreated) {
  fs::path out = dir_ / "big";
  // mappings.json for 20000 nodes is about 500 KB, past the 64 KiB file size limit.
  RunResult r = Scopectl({"gen", "--nodes", "20000", "--links", "100", out.string()}, 64 << 10);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("mappings.json"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("File too large"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(ScopectlGenTest, BadArgumentsExitTwoWithUsage) {
  const std::string out = (dir_ / "out").string();
  const std::vector<std::vector<std::string>> cases = {
      {"gen", "--nodes", "5", "--links", "4"},                  // no OUTDIR
      {"gen", "--nodes", "5", "--links", "4", out, out + "2"},  // two OUTDIRs
      {"gen", "--links", "4", out},                             // no --nodes
      {"gen", "--nodes", "five", "--links", "4", out},          // not a number
      {"gen", "--nodes", "-5", "--links", "4", out},            // negative
      {"gen", "--nodes", "5", "--links", "4", "--seed", "-1", out},
      {"gen", "--nodes", "5", "--links", "4", "--coverage", "1.5", out},
      {"gen", "--nodes", "5", "--links", "4", "--coverage", "half", out},
      {"gen", "--nodes", "5", "--links", "21", out},  // > 5 * 4 distinct pairs
      {"gen", "--nodes", "5", "--links", "4", "--key-prefix", "a\"b", out},
      {"gen", "--nodes", "5", "--links", "4", "--frobnicate", out},  // unknown option
      {"gen", "--nodes", "5", "--links", "4", out, "--seed"},        // missing value
  };
  for (const std::vector<std::string>& args : cases) {
    std::vector<std::string> argv = {SCOPECTL_PATH};
    argv.insert(argv.end(), args.begin(), args.end());
    RunResult r = RunProcess(argv, scratch_);
    std::string shown;
    for (const std::string& a : args) shown += a + " ";
    EXPECT_EQ(r.exit_code, 2) << shown << "\n" << r.err;
    EXPECT_NE(r.err.find("usage: scopectl gen"), std::string::npos) << shown << "\n" << r.err;
    EXPECT_FALSE(fs::exists(out)) << shown;
  }
}

TEST_F(ScopectlGenTest, Dispatcher) {
  RunResult r = Scopectl({});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("usage: scopectl"), std::string::npos) << r.err;

  r = Scopectl({"frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown command 'frobnicate'"), std::string::npos) << r.err;

  r = Scopectl({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("gen "), std::string::npos) << r.out;

  r = Scopectl({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(r.out.starts_with("scopectl ")) << r.out;

  for (auto args : {std::vector<std::string>{"gen", "--help"}, {"help", "gen"}}) {
    std::vector<std::string> argv = {SCOPECTL_PATH};
    argv.insert(argv.end(), args.begin(), args.end());
    r = RunProcess(argv, scratch_);
    EXPECT_EQ(r.exit_code, 0) << args[0];
    EXPECT_TRUE(r.out.starts_with("usage: scopectl gen")) << r.out;
  }
}

}  // namespace
}  // namespace scopefs::tools
