// Load and concurrency through the mount: readers verifying bytes while a
// writer churns the cache past its limits and a short TTL expires scopes; a
// sampler watching for partial scopes while 200 are added; reading a scope
// the moment its copy returns; and a removed or evicted key answering
// ENOENT at once and serving its new bytes when added again.
// SCOPEFS_CHURN_SECONDS sets the churn's length (default 60; the soak tier runs 30 minutes).
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "tests/mount/mount_test.h"

namespace scopefs::testing {
namespace {

// 8 readers, 1 writer and a disk sampler for SECONDS; prints a JSON summary.
constexpr char kChurn[] = R"(
import errno, json, os, random, shutil, sys, threading, time
mnt, store, seconds, max_size, daemon = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
sources = sys.argv[6:]
data = [{f: open(os.path.join(s, f), "rb").read() for f in ("nodes.bits", "links.bits", "mappings.json")}
        for s in sources]
stop = time.time() + seconds
lock = threading.Lock()
stats = {"reads": 0, "bytes_checked": 0, "wrong_bytes": 0, "errors_on_open_files": 0,
         "gone_on_open": 0, "pending_on_open": 0, "other_open_errors": [], "added": 0, "add_failures": 0,
         "samples": 0, "max_over_limit": 0, "largest_scope": 0}

def count(key, n=1):
    with lock:
        stats[key] += n

def reader(seed):
    rng = random.Random(seed)
    while time.time() < stop:
        try:
            keys = [k for k in os.listdir(mnt) if k.startswith("w")]
        except OSError:
            continue
        if not keys:
            time.sleep(0.01)
            continue
        key = rng.choice(keys)
        src = data[int(key.split("-s")[1])]
        name = rng.choice(list(src))
        try:
            fd = os.open(os.path.join(mnt, key, name), os.O_RDONLY)
        except OSError as e:
            if e.errno in (errno.ENOENT, errno.ESTALE):
                count("gone_on_open")
            elif e.errno == errno.EBUSY:
                count("pending_on_open")  # listed while its copy was still running
            else:
                with lock:
                    stats["other_open_errors"].append(f"{key}/{name}: {e}")
            continue
        try:
            for _ in range(rng.randint(1, 20)):  # holds the file across evictions and expiry
                want = src[name]
                off = rng.randint(0, max(0, len(want) - 1))
                n = rng.randint(1, 256 << 10)
                got = os.pread(fd, n, off)
                count("reads")
                count("bytes_checked", len(got))
                if got != want[off:off + n]:
                    count("wrong_bytes", 1)
                time.sleep(rng.random() * 0.02)
        except OSError as e:
            count("errors_on_open_files")
            with lock:
                stats["other_open_errors"].append(f"{key}/{name} while open: {e}")
        finally:
            os.close(fd)

def writer():
    n = 0
    while time.time() < stop:
        i = n % len(sources)
        try:
            shutil.copytree(sources[i], os.path.join(mnt, f"w{n}-s{i}"))
            count("added")
        except OSError:
            count("add_failures")
        n += 1

def usage(path):
    total = 0
    for root, dirs, files in os.walk(path):
        for f in files:
            try:
                total += os.stat(os.path.join(root, f)).st_blocks * 512
            except OSError:
                pass
    return total

def daemon_rss_kb_and_fds():
    """The daemon's RSS less its member cache (bounded, and full only after a while), and its fds."""
    rss = [int(l.split()[1]) for l in open(f"/proc/{daemon}/status") if l.startswith("VmRSS:")][0]
    cache = json.load(open(os.path.join(mnt, ".scopefs", "stats.json")))["member_cache_bytes"]
    return rss - cache // 1024, len(os.listdir(f"/proc/{daemon}/fd"))

def sampler():
    warm = time.time() + min(300, seconds / 3)  # after the allocator settles
    while time.time() < stop:
        if "rss_warm_kb" not in stats and time.time() >= warm:
            stats["rss_warm_kb"], stats["fds_warm"] = daemon_rss_kb_and_fds()
        try:
            held = json.load(open(os.path.join(mnt, ".scopefs", "stats.json")))["bytes_held_by_open_files"]
        except (OSError, ValueError):
            continue
        disk = sum(usage(os.path.join(store, d)) for d in ("scopes", "pending", "staging", "trash"))
        with lock:
            stats["samples"] += 1
            stats["max_over_limit"] = max(stats["max_over_limit"], disk - max_size - held)
        time.sleep(0.05)

stats["rss_start_kb"], stats["fds_start"] = daemon_rss_kb_and_fds()
threads = [threading.Thread(target=reader, args=(s,)) for s in range(8)]
threads += [threading.Thread(target=writer), threading.Thread(target=sampler)]
for t in threads: t.start()
for t in threads: t.join()
stats["largest_scope"] = max(usage(s) for s in sources)
stats["rss_end_kb"], stats["fds_end"] = daemon_rss_kb_and_fds()
stats["scopes_end"] = len([k for k in os.listdir(mnt) if not k.startswith(".")])
print(json.dumps(stats))
)";

int ChurnSeconds() {
  const char* env = std::getenv("SCOPEFS_CHURN_SECONDS");
  return env != nullptr ? std::atoi(env) : 60;
}

class LoadTest : public MountTest {
 protected:
  // Small enough that the writer evicts constantly, and a TTL that expires
  // scopes nobody reads.
  std::vector<std::string> ExtraArgs() override {
    return {"--max-size", "8M", "--ttl", "3s", "--maintenance-interval", "1s"};
  }
};

TEST_F(LoadTest, ReadersSeeOnlyCommittedBytesWhileTheCacheChurns) {
  const std::vector<std::string> sources = {GenScope(20000, 30000), GenScope(3001, 4001), GenScope(40000, 60000)};
  std::vector<std::string> args = {Mnt(), mount_->store(), std::to_string(ChurnSeconds()),
                                   std::to_string(8 << 20), std::to_string(mount_->pid())};
  args.insert(args.end(), sources.begin(), sources.end());
  ShellResult r = Python(kChurn, args, ChurnSeconds() + 120);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  nlohmann::json s = nlohmann::json::parse(r.output, nullptr, false);
  ASSERT_TRUE(s.is_object()) << r.output;
  std::printf("churn %ds: %s\n", ChurnSeconds(), s.dump().c_str());
  EXPECT_EQ(s["wrong_bytes"], 0);
  EXPECT_EQ(s["errors_on_open_files"], 0);
  for (const auto& error : s["other_open_errors"]) {
    const std::string text = error.get<std::string>();
    const std::string key = text.substr(0, text.find('/'));
    ADD_FAILURE() << text << "\nthe daemon on " << key << ":\n"
                  << Shell("grep -F " + Quote(key) + " " + Quote(dir_.path() + "/daemon.log") +
                           " | grep -v busy | head -20").output
                  << Shell("grep -E 'error|quarantin' " + Quote(dir_.path() + "/daemon.log") + " | head -5").output;
  }
  EXPECT_GT(s["reads"].get<int>(), 1000);
  EXPECT_GT(s["added"].get<int>(), 20);
  EXPECT_EQ(s["add_failures"], 0);
  // On disk: at most max_size plus what open files hold, plus the one commit
  // in flight (its staged copy exists beside its pending files for a moment).
  EXPECT_LE(s["max_over_limit"].get<int64_t>(), s["largest_scope"].get<int64_t>());
  // No descriptor leaks: with the readers done, the daemon holds at most one
  // per scope still cached (its shared mappings file) and one pending file.
  EXPECT_LE(s["fds_end"].get<int>(), s["fds_start"].get<int>() + s["scopes_end"].get<int>() + 1);
  // Memory besides the member cache (bounded; it fills over minutes): in the
  // long tier, growth after warm-up is at most 1 MiB per 10 minutes (+1 MiB of noise).
  if (ChurnSeconds() >= 600) {
    EXPECT_LE(s["rss_end_kb"].get<double>() - s["rss_warm_kb"].get<double>(),
              1024 + 1024 * (ChurnSeconds() * 2 / 3) / 600.0);
  }
  nlohmann::json stats = nlohmann::json::parse(Shell("cat " + Quote(Mnt(".scopefs/stats.json"))).output);
  EXPECT_GT(stats["evictions"].get<int>(), 0) << stats.dump();
}

// Lists and stats every committed scope every millisecond while 200 are added:
// a committed name (dr-xr-xr-x) never shows a partial scope.
constexpr char kVisibility[] = R"(
import os, shutil, stat, sys, threading, time
mnt, src = sys.argv[1], sys.argv[2]
sizes = {f: os.path.getsize(os.path.join(src, f)) for f in ("nodes.bits", "links.bits", "mappings.json")}
done = False
observations = partial = 0
def sampler():
    global observations, partial
    while not done:
        for key in os.listdir(mnt):
            if key.startswith("."):
                continue
            try:
                st = os.stat(os.path.join(mnt, key))
                if stat.S_IMODE(st.st_mode) & 0o222:
                    continue  # pending: writable, not committed
                observations += 1
                for f, size in sizes.items():
                    got = os.stat(os.path.join(mnt, key, f)).st_size
                    if got != size:
                        partial += 1
                        print("partial:", key, f, got, "bytes, not", size, file=sys.stderr)
                os.stat(os.path.join(mnt, key, "meta.json"))
            except FileNotFoundError:
                pass  # evicted (past max_entries) between the listing and the stat
        time.sleep(0.001)
t = threading.Thread(target=sampler)
t.start()
for i in range(200):
    shutil.copytree(src, os.path.join(mnt, f"v{i}"))
done = True
t.join()
print(observations, partial)
)";

TEST_F(MountTest, ASamplerNeverSeesAPartialScopeUnderACommittedName) {
  ShellResult r = Python(kVisibility, {Mnt(), GenScope(301, 401)}, 300);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  long observations = 0, partial = -1;
  ASSERT_EQ(std::sscanf(r.output.c_str(), "%ld %ld", &observations, &partial), 2) << r.output;
  std::printf("visibility: 200 scopes added, %ld observations of committed scopes, %ld partial\n", observations,
              partial);
  EXPECT_GT(observations, 200);
  EXPECT_EQ(partial, 0);
}

TEST_F(MountTest, AScopeReadsWholeTheMomentItsCopyReturns) {
  const std::string& src = GenScope(101, 99);
  const std::string want = dir_.path() + "/want";
  ASSERT_EQ(Shell("cat " + Quote(src + "/nodes.bits") + " " + Quote(src + "/links.bits") + " " +
                  Quote(src + "/mappings.json") + " >" + Quote(want)).exit_code, 0);
  ShellResult r = Shell("fail=0; for i in $(seq 1000); do k=" + Quote(Mnt()) + "/a$i; "
                        "cp -r " + Quote(src) + " $k && cat $k/nodes.bits $k/links.bits $k/mappings.json | "
                        "cmp -s - " + Quote(want) + " || fail=$((fail+1)); "
                        "[ $((i % 50)) -eq 0 ] && rm -r " + Quote(Mnt()) + "/a*; done; echo $fail", 600);
  EXPECT_EQ(r.output, "0\n") << "copies whose immediate read failed or was short";
}

class TwoEntriesTest : public MountTest {
 protected:
  std::vector<std::string> ExtraArgs() override { return {"--max-entries", "2"}; }
};

TEST_F(TwoEntriesTest, AGoneKeyIsEnoentAtOnceAndServesNewBytesWhenAddedAgain) {
  const std::string& first = SmallScope();
  const std::string second = dir_.path() + "/seed9";
  ASSERT_EQ(Shell(Quote(ScopectlPath()) + " gen --quiet --nodes 5001 --links 7003 --seed 9 " + Quote(second)).exit_code, 0);
  // Removed by rm -r: gone at once; added again: the new bytes, not the cached old ones.
  ASSERT_EQ(Shell("cp -r " + Quote(first) + " " + Quote(Mnt("k")) + " && cat " + Quote(Mnt("k")) +
                  "/*.bits >/dev/null && rm -r " + Quote(Mnt("k"))).exit_code, 0);
  EXPECT_NE(access(Mnt("k").c_str(), F_OK), 0);
  ASSERT_EQ(Shell("cp -r " + Quote(second) + " " + Quote(Mnt("k"))).exit_code, 0);
  ExpectSameFiles(second, "k");
  // Evicted (max_entries 2): ENOENT within 1 s, though the kernel had cached it.
  ASSERT_EQ(Shell("cp -r " + Quote(first) + " " + Quote(Mnt("e")) + " && cat " + Quote(Mnt("e")) +
                  "/*.bits >/dev/null && cat " + Quote(Mnt("k")) + "/*.bits >/dev/null").exit_code, 0);
  ASSERT_EQ(Shell("cp -r " + Quote(first) + " " + Quote(Mnt("third"))).exit_code, 0);  // evicts "e"
  ShellResult gone = Shell("for n in $(seq 100); do [ -e " + Quote(Mnt("e")) + " ] || { echo gone; exit 0; }; "
                           "sleep 0.01; done; echo still there");
  EXPECT_EQ(gone.output, "gone\n");
  ASSERT_EQ(Shell("cp -r " + Quote(second) + " " + Quote(Mnt("e"))).exit_code, 0);
  ExpectSameFiles(second, "e");
}

}  // namespace
}  // namespace scopefs::testing
