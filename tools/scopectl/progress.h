// Progress: how far a long command has got. On a terminal, a bar redrawn in
// place (items and bytes done, rate, time left) with result lines scrolling
// above it; otherwise only the result lines, for logs and scripts.
//
// Thread-safety: not thread-safe; one command drives it.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace scopefs::tools {

class Progress {
 public:
  // Lines go to `lines`; the bar to `bar`, only if `bar` is a terminal.
  Progress(std::FILE* lines, std::FILE* bar, uint64_t total_items, uint64_t total_bytes);
  ~Progress();  // clears the bar
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // One more item is done, `bytes` of them; `line` (if not empty) says how it went.
  void Done(uint64_t bytes, const std::string& line);
  // The bar's text now, e.g. "[=====>    ] 12/40  1.2G/3.4G  85M/s  ETA 27s".
  std::string Bar() const;

 private:
  void Clear();
  void Draw();

  std::FILE* const lines_;
  std::FILE* const bar_;  // null when not a terminal
  const uint64_t total_items_, total_bytes_;
  const int64_t start_ns_;
  uint64_t items_ = 0, bytes_ = 0;
};

}  // namespace scopefs::tools
