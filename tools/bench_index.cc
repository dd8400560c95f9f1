// bench_index: what building nodes.idx and links.idx adds to a commit, at the
// store level (no FUSE), each figure beside the same run's baseline.
//
//   bench_index SCOPE_DIR WORK_DIR [--reps R] [--at-commit]
//
// SCOPE_DIR holds the four files of a scope (`scopectl gen`). Each rep writes
// them into a pending scope of a fresh store under WORK_DIR, front to back in
// 1 MiB writes as `cp` does (so mappings.json is encoded as it is written;
// with --at-commit it is written back to front, and the commit encodes it),
// meta.json last, then commits: once with CommitOptions.build_index off, once
// on, in alternating order. Each run is a child process of its own, so its
// peak RSS (VmHWM) is its own. Prints every run, then the medians and the
// with/without ratios.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "store/store.h"

namespace scopefs::tools {
namespace {

struct RunFigures {
  double write_s = 0;   // the writes, up to the commit
  double commit_s = 0;  // Store::Commit alone
  double hwm_mib = 0;   // peak RSS of the run's process
};

double Seconds(std::chrono::steady_clock::time_point from) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - from).count();
}

double PeakRssMib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return std::strtod(line.c_str() + 6, nullptr) / 1024;
  }
  return 0;
}

store::Status CopyIn(store::Env* env, store::PendingScope& pending, const std::string& from,
                     const char* name, bool backwards) {
  ASSIGN_OR_RETURN(std::unique_ptr<store::File> in,
                   env->Open(from + "/" + name, store::OpenMode::kRead));
  ASSIGN_OR_RETURN(uint64_t size, in->Size());
  ASSIGN_OR_RETURN(std::shared_ptr<store::PendingFile> out, pending.Create(name, 0644, 0, 0));
  constexpr uint64_t kPiece = uint64_t{1} << 20;
  std::string buf(kPiece, '\0');
  const uint64_t pieces = (size + kPiece - 1) / kPiece;
  for (uint64_t i = 0; i < pieces; ++i) {
    const uint64_t offset = (backwards ? pieces - 1 - i : i) * kPiece;
    const size_t n = static_cast<size_t>(std::min(kPiece, size - offset));
    RETURN_IF_ERROR(store::ReadExactly(*in, offset, buf.data(), n, name));
    RETURN_IF_ERROR(out->Write(offset, std::string_view(buf.data(), n)));
  }
  return store::Status::Ok();
}

store::Result<RunFigures> Run(const std::string& scope, const std::string& root, bool index,
                              bool at_commit) {
  store::Env* env = store::PosixEnv();
  RETURN_IF_ERROR(store::RemoveAll(env, root));
  store::StoreOptions options;
  options.limits.max_size = uint64_t{64} << 30;
  options.commit.build_index = index;
  RunFigures figures;
  {
    ASSIGN_OR_RETURN(std::unique_ptr<store::Store> s, store::Store::Open(env, root, options));
    const auto start = std::chrono::steady_clock::now();
    ASSIGN_OR_RETURN(std::shared_ptr<store::PendingScope> p, s->CreatePending("k"));
    for (const char* name : {"nodes.bits", "links.bits", "mappings.json", "meta.json"}) {
      RETURN_IF_ERROR(CopyIn(env, *p, scope, name, at_commit && name[0] == 'm' && name[1] == 'a'));
    }
    p.reset();
    figures.write_s = Seconds(start);
    const auto commit = std::chrono::steady_clock::now();
    ASSIGN_OR_RETURN(std::shared_ptr<store::Scope> committed, s->Commit("k"));
    figures.commit_s = Seconds(commit);
    const store::StoreCounters c = s->counters();
    if ((c.mappings_compressed_at_commit != 0) != at_commit) {
      return store::Status::Invalid("the mappings took the wrong path");
    }
  }
  figures.hwm_mib = PeakRssMib();
  RETURN_IF_ERROR(store::RemoveAll(env, root));
  return figures;
}

// Runs one commit in a child process and reads its figures back.
RunFigures RunInChild(const std::string& scope, const std::string& root, bool index,
                      bool at_commit) {
  int fds[2];
  if (pipe(fds) != 0) std::abort();
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    store::Result<RunFigures> f = Run(scope, root, index, at_commit);
    if (!f.ok()) {
      std::fprintf(stderr, "bench_index: %s\n", f.status().ToString().c_str());
      _exit(1);
    }
    if (write(fds[1], &*f, sizeof(RunFigures)) != sizeof(RunFigures)) _exit(1);
    _exit(0);
  }
  close(fds[1]);
  RunFigures f;
  const bool got = read(fds[0], &f, sizeof f) == sizeof f;
  close(fds[0]);
  int wstatus = 0;
  waitpid(pid, &wstatus, 0);
  if (!got || !WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    std::fprintf(stderr, "bench_index: a run failed\n");
    std::exit(1);
  }
  return f;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace
}  // namespace scopefs::tools

int main(int argc, char** argv) {
  using scopefs::tools::RunFigures;
  std::vector<std::string> positional;
  int reps = 3;
  bool at_commit = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
      reps = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--at-commit") == 0) {
      at_commit = true;
    } else {
      positional.emplace_back(argv[i]);
    }
  }
  if (positional.size() != 2 || reps < 1) {
    std::fprintf(stderr, "usage: bench_index SCOPE_DIR WORK_DIR [--reps R] [--at-commit]\n");
    return 2;
  }
  std::vector<RunFigures> runs[2];  // [0] without the index, [1] with it
  for (int r = 0; r < reps; ++r) {
    for (int k = 0; k < 2; ++k) {
      const bool index = (k + r) % 2 == 1;  // alternate which goes first
      RunFigures f =
          scopefs::tools::RunInChild(positional[0], positional[1] + "/store", index, at_commit);
      std::printf(
          "rep %d index=%-3s write %7.2f s  commit %7.2f s  total %7.2f s  peak RSS %7.1f MiB\n",
          r + 1, index ? "on" : "off", f.write_s, f.commit_s, f.write_s + f.commit_s, f.hwm_mib);
      std::fflush(stdout);
      runs[index].push_back(f);
    }
  }
  auto median = [&](int index, auto field) {
    std::vector<double> v;
    for (const RunFigures& f : runs[index]) v.push_back(field(f));
    return scopefs::tools::Median(v);
  };
  auto write = [](const RunFigures& f) { return f.write_s; };
  auto commit = [](const RunFigures& f) { return f.commit_s; };
  auto total = [](const RunFigures& f) { return f.write_s + f.commit_s; };
  auto rss = [](const RunFigures& f) { return f.hwm_mib; };
  std::printf("medians of %d (%s):\n", reps,
              at_commit ? "mappings encoded at the commit" : "mappings encoded as written");
  std::printf("%-22s %9s %9s %7s\n", "", "index off", "index on", "ratio");
  for (auto [name, field] :
       {std::pair<const char*, double (*)(const RunFigures&)>{"writes (s)", write},
        {"commit (s)", commit},
        {"writes + commit (s)", total},
        {"peak RSS (MiB)", rss}}) {
    const double off = median(0, field), on = median(1, field);
    std::printf("%-22s %9.2f %9.2f %6.2fx\n", name, off, on, on / off);
  }
  std::printf("time added by the index: %.2f s, %.0f %% of the commit without it\n",
              median(1, total) - median(0, total),
              100 * (median(1, total) - median(0, total)) / median(0, total));
  return 0;
}
