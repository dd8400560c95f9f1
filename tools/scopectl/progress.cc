#include "tools/scopectl/progress.h"

#include <unistd.h>

#include "store/clock.h"
#include "tools/scopectl/format.h"

namespace scopefs::tools {

Progress::Progress(std::FILE* lines, std::FILE* bar, uint64_t total_items, uint64_t total_bytes)
    : lines_(lines),
      bar_(isatty(fileno(bar)) ? bar : nullptr),
      total_items_(total_items),
      total_bytes_(total_bytes),
      start_ns_(store::SystemClock()->NowNanos()) {
  Draw();
}

Progress::~Progress() { Clear(); }

void Progress::Done(uint64_t bytes, const std::string& line) {
  ++items_;
  bytes_ += bytes;
  Clear();
  if (!line.empty()) {
    std::fprintf(lines_, "%s\n", line.c_str());
    std::fflush(lines_);
  }
  Draw();
}

std::string Progress::Bar() const {
  constexpr size_t kWidth = 24;
  const double done = total_bytes_   ? double(bytes_) / double(total_bytes_)
                      : total_items_ ? double(items_) / double(total_items_)
                                     : 1.0;
  const auto filled = static_cast<size_t>(done * kWidth);
  std::string bar = "[" + std::string(filled, '=') + (filled < kWidth ? ">" : "") +
                    std::string(kWidth - std::min(kWidth, filled + 1), ' ') + "] ";
  bar += std::to_string(items_) + "/" + std::to_string(total_items_) + " entries  ";
  bar += HumanSize(bytes_) + "/" + HumanSize(total_bytes_);
  const int64_t elapsed = store::SystemClock()->NowNanos() - start_ns_;
  if (elapsed > 0 && bytes_ > 0) {
    const double rate = double(bytes_) / (double(elapsed) / 1e9);
    bar += "  " + HumanSize(static_cast<uint64_t>(rate)) + "/s";
    if (bytes_ < total_bytes_) {
      bar += "  ETA " +
             HumanDuration(static_cast<int64_t>(double(total_bytes_ - bytes_) / rate * 1e9));
    }
  }
  return bar;
}

void Progress::Clear() {
  if (bar_) std::fputs("\r\033[K", bar_);
}

void Progress::Draw() {
  if (!bar_) return;
  std::fputs(Bar().c_str(), bar_);
  std::fflush(bar_);
}

}  // namespace scopefs::tools
