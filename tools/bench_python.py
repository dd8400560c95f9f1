"""The scopefs Python package against json.load, in one run, on one scope.

usage: /usr/bin/python3 tools/bench_python.py SCOPE_DIR [--reps N] [--json-reps N]

SCOPE_DIR holds nodes.bits, links.bits, meta.json, mappings.json and the two
index files (a scope on a mount, or one made by `scopectl gen` plus
tests/python/index_writer.py). Prints medians of N runs:
  open_scope to the first lookup, with the section CRCs checked (verify=True,
  as off a mount) and without (verify=False, as on a mount, whose daemon checks
  them); one lookup, present and absent, against the dict's; get_many of 1 M ids
  with numpy and without; ids_of of 1 M indices; anonymous RSS after open and
  200 k lookups; and json.load of mappings.json, the baseline.
"""
import argparse
import gc
import json
import os
import random
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "python"))
import scopefs  # noqa: E402


def median_time(fn, reps):
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def rss_anon_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("scope")
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--json-reps", type=int, default=3)
    a = p.parse_args()
    rng = random.Random(1)
    rss_start = rss_anon_mb()

    def open_and_look(verify):
        def run():
            with scopefs.open_scope(a.scope, mappings="index", verify=verify) as s:
                s.node_id_mapping.get("n:probe")
        return run

    t_open_verified = median_time(open_and_look(True), a.reps)
    t_open = median_time(open_and_look(False), a.reps)
    s = scopefs.open_scope(a.scope, mappings="index", verify=False)
    links = s.link_id_mapping
    n = len(links)
    # Ids to look up: present ones sampled through the reverse lookup, absent ones made up.
    present = links.ids_of(rng.sample(range(n), 200_000))
    absent = [f"{k}#" for k in present[:100_000]]

    def per_lookup(m, ids):
        get = m.get
        def loop():
            for k in ids:
                get(k)
        return median_time(loop, a.reps) / len(ids) * 1e6

    us_present = per_lookup(links, present)
    us_absent = per_lookup(links, absent)
    rss_after = rss_anon_mb()
    million = present * 4 + absent[:100_000] * 2
    rng.shuffle(million)
    t_many = median_time(lambda: links.get_many(million), a.reps)
    numpy = sys.modules.get("numpy")
    sys.modules["numpy"] = None  # as if numpy were missing
    t_many_plain = median_time(lambda: links.get_many(million), max(1, a.reps // 2))
    sys.modules["numpy"] = numpy
    indices = [rng.randrange(n) for _ in range(1_000_000)]
    t_ids_of = median_time(lambda: links.ids_of(indices), a.reps)
    t_to_dict = median_time(lambda: links.to_dict(), 1)
    s.close()
    gc.collect()

    holder = {}

    def load_json():
        holder.clear()
        with open(os.path.join(a.scope, "mappings.json"), "rb") as f:
            holder["doc"] = json.load(f)

    t_json = median_time(load_json, a.json_reps)
    d = holder["doc"]["link_id_mapping"]
    us_dict = per_lookup(d, present)
    print(f"scope {a.scope}: {len(holder['doc']['node_id_mapping'])} node ids, {n} link ids; "
          f"medians of {a.reps} (json.load: {a.json_reps})")
    print(f"  open_scope to first lookup, verify=False (mount)  {t_open * 1e3:9.1f} ms")
    print(f"  open_scope to first lookup, verify=True           {t_open_verified * 1e3:9.1f} ms")
    print(f"  json.load(mappings.json), the old way              {t_json * 1e3:9.1f} ms")
    print(f"  one lookup, present id (index / dict)              {us_present:9.2f} us / {us_dict:.2f} us")
    print(f"  one lookup, absent id (index)                      {us_absent:9.2f} us")
    print(f"  get_many of 1 M ids, numpy / no numpy              {t_many * 1e3:9.1f} ms / {t_many_plain * 1e3:.1f} ms")
    print(f"  ids_of of 1 M indices                              {t_ids_of * 1e3:9.1f} ms")
    print(f"  to_dict of the link mapping                        {t_to_dict * 1e3:9.1f} ms")
    print(f"  anonymous RSS after open + 200 k lookups           {rss_after:9.1f} MB "
          f"(interpreter alone {rss_start:.1f} MB)")


if __name__ == "__main__":
    main()
