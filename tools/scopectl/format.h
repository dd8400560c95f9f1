// How scopectl shows figures to people: sizes as `ls -h` does, times relative
// to now, and plain aligned tables. Scripts use --json instead.
//
// Thread-safety: pure functions; Table is a value.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace scopefs::tools {

// 0, 999, 1.5K, 12K, 1.5M, 3.0G ... (powers of 1024, one decimal below 10).
std::string HumanSize(uint64_t bytes);
// A duration: "45s", "12m", "3h 5m", "2d 4h".
std::string HumanDuration(int64_t ns);
// `then` relative to `now`: "just now", "5m ago", "in 2h" ("-" for 0).
std::string HumanAgo(int64_t then_ns, int64_t now_ns);

// Rows of cells printed with each column as wide as its widest cell; columns
// whose header starts with '>' are right-aligned (numbers), the '>' not shown.
class Table {
 public:
  explicit Table(std::vector<std::string> headers);
  void Add(std::vector<std::string> row);
  void Print(std::FILE* out) const;

 private:
  std::vector<std::string> headers_;
  std::vector<bool> right_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace scopefs::tools
