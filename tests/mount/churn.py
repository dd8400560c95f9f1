"""The cache churning under load: 8 readers verifying every byte they read
(holding files across evictions and expiry), 1 writer adding scopes with
shutil.copytree, and a sampler of the store's disk use (against max_size plus
the bytes open files hold) and of the daemon's RSS, fds and threads.

Usage: churn.py MOUNTPOINT STORE SECONDS MAX_SIZE_BYTES DAEMON_PID SOURCE...
Prints a JSON summary for the test to judge.
"""
import errno, json, os, random, shutil, sys, threading, time
mnt, store, seconds, max_size, daemon = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
sources = sys.argv[6:]
data = [{f: open(os.path.join(s, f), "rb").read() for f in ("nodes.bits", "links.bits", "mappings.json")}
        for s in sources]
stop = time.time() + seconds
lock = threading.Lock()
stats = {"reads": 0, "bytes_checked": 0, "wrong_bytes": 0, "errors_on_open_files": 0,
         "gone_on_open": 0, "pending_on_open": 0, "other_open_errors": [], "added": 0, "add_failures": 0,
         "samples": 0, "max_over_limit": -max_size}

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

def store_files():
    """(path in the store, size) of every file there now."""
    for root, dirs, files in os.walk(store):
        for f in files:
            try:
                yield os.path.relpath(os.path.join(root, f), store), os.stat(os.path.join(root, f)).st_size
            except OSError:
                pass  # gone since the walk listed it

def uncounted_bytes():
    """What the store's tmpfs holds that max_size does not count: each file's
    rounding up to a page, the stored records (meta.json), access.json, LOCK."""
    total = 0
    for path, size in store_files():
        total += -size % 4096
        name = os.path.basename(path)
        if (name == "meta.json" and not path.startswith("pending")) or name.startswith(("access.json", "LOCK")):
            total += size
    return total

def listing():
    """Every file in the store: "path:size"."""
    return sorted(f"{path}:{size}" for path, size in store_files())

def deleted_open():
    """Files the daemon holds open that are gone from the store's tree: "path:size"."""
    out = []
    for fd in os.listdir(f"/proc/{daemon}/fd"):
        try:
            target = os.readlink(f"/proc/{daemon}/fd/{fd}")
            if target.endswith(" (deleted)"):
                out.append(f"{os.path.relpath(target, store)}:{os.stat(f'/proc/{daemon}/fd/{fd}').st_size}")
        except OSError:
            pass
    return out

def daemon_stats(field):
    return json.load(open(os.path.join(mnt, ".scopefs", "stats.json")))[field]

def proc_status(field):
    """A number from /proc/DAEMON/status: VmRSS (kB), Threads."""
    return [int(l.split()[1]) for l in open(f"/proc/{daemon}/status") if l.startswith(field + ":")][0]

def daemon_rss_kb_and_fds():
    """The daemon's RSS less its member cache (bounded, and full only after a while), and its fds."""
    rss = proc_status("VmRSS") - daemon_stats("member_cache_bytes") // 1024
    return rss, len(os.listdir(f"/proc/{daemon}/fd"))

rss_samples = []  # (seconds into the round, kB, daemon threads), every 5 s

def sampler():
    start, next_rss = time.time(), 0
    while time.time() < stop:
        if time.time() >= next_rss:
            rss_samples.append((time.time() - start, daemon_rss_kb_and_fds()[0], proc_status("Threads")))
            next_rss = time.time() + 5
        # The store has a tmpfs of its own: statvfs sees its use at one instant
        # (a walk would not). Held bytes are read before and after it.
        try:
            held = daemon_stats("bytes_held_by_open_files")
            fs = os.statvfs(store)
            held = max(held, daemon_stats("bytes_held_by_open_files"))
        except (OSError, ValueError):
            continue
        used = (fs.f_blocks - fs.f_bfree) * fs.f_frsize
        over = used - uncounted_bytes() - max_size - held
        with lock:
            stats["samples"] += 1
            if over > max(0, stats["max_over_limit"]):  # a violation: what was there
                stats["worst_sample"] = {"used": used, "held": held, "files": listing(),
                                         "daemon_deleted_open": deleted_open()}
            stats["max_over_limit"] = max(stats["max_over_limit"], over)
        time.sleep(0.05)

stats["rss_start_kb"], stats["fds_start"] = daemon_rss_kb_and_fds()
threads = [threading.Thread(target=reader, args=(s,)) for s in range(8)]
threads += [threading.Thread(target=writer), threading.Thread(target=sampler)]
for t in threads: t.start()
for t in threads: t.join()
stats["rss_end_kb"], stats["fds_end"] = daemon_rss_kb_and_fds()
stats["scopes_end"] = len([k for k in os.listdir(mnt) if not k.startswith(".")])
time.sleep(2.5)  # two maintenance passes: each asks the kernel again to drop names of gone scopes
stats["inodes_end"] = daemon_stats("inodes")
# RSS growth: the second third of the round (the thread pool and the allocator
# have settled) against the last. RSS saw-tooths by several MB with the commits
# and reads in flight at the sample; a leak raises the floor, so each window
# is judged by its 10th percentile.
def percentile(lo, hi, column, fraction):
    window = sorted(sample[column] for sample in rss_samples if lo * seconds <= sample[0] < hi * seconds)
    return window[int(len(window) * fraction)] if window else 0
stats["rss_early_kb"], stats["rss_late_kb"] = percentile(1 / 3, 2 / 3, 1, 0.1), percentile(2 / 3, 1, 1, 0.1)
stats["rss_span_s"] = seconds / 3
stats["threads_early"], stats["threads_late"] = percentile(1 / 3, 2 / 3, 2, 0.5), percentile(2 / 3, 1, 2, 0.5)
stats["rss_every_minute_kb"] = [kb for t, kb, _ in rss_samples[::12]]
print(json.dumps(stats))
