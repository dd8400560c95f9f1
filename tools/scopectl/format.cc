#include "tools/scopectl/format.h"

#include <algorithm>

namespace scopefs::tools {

std::string HumanSize(uint64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes);
  static constexpr char kUnits[] = "KMGTPE";
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  for (value /= 1024; value >= 1024 && unit + 1 < sizeof(kUnits) - 1; value /= 1024) ++unit;
  char buf[32];
  if (value < 9.95) {
    std::snprintf(buf, sizeof buf, "%.1f%c", value, kUnits[unit]);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f%c", value, kUnits[unit]);
  }
  return buf;
}

std::string HumanDuration(int64_t ns) {
  const int64_t s = std::max<int64_t>(ns, 0) / 1'000'000'000;
  auto two = [](int64_t big, const char* bu, int64_t small, const char* su) {
    std::string out = std::to_string(big) + bu;
    if (small) out += " " + std::to_string(small) + su;
    return out;
  };
  if (s < 60) return std::to_string(s) + "s";
  if (s < 3600) return std::to_string(s / 60) + "m";
  if (s < 86400) return two(s / 3600, "h", s % 3600 / 60, "m");
  return two(s / 86400, "d", s % 86400 / 3600, "h");
}

std::string HumanAgo(int64_t then_ns, int64_t now_ns) {
  if (then_ns == 0) return "-";
  const int64_t delta = now_ns - then_ns;
  if (delta >= 0 && delta < 1'000'000'000) return "just now";
  return delta > 0 ? HumanDuration(delta) + " ago" : "in " + HumanDuration(-delta);
}

Table::Table(std::vector<std::string> headers) {
  for (std::string& h : headers) {
    right_.push_back(!h.empty() && h[0] == '>');
    headers_.push_back(right_.back() ? h.substr(1) : std::move(h));
  }
}

void Table::Add(std::vector<std::string> row) {
  row.resize(headers_.size());
  rows_.push_back(std::move(row));
}

void Table::Print(std::FILE* out) const {
  std::vector<size_t> width(headers_.size());
  for (size_t c = 0; c < headers_.size(); ++c) {
    width[c] = headers_[c].size();
    for (const auto& row : rows_) width[c] = std::max(width[c], row[c].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string text;
    for (size_t c = 0; c < cells.size(); ++c) {
      const std::string pad(width[c] - cells[c].size(), ' ');
      if (c) text += "  ";
      text += right_[c] ? pad + cells[c] : cells[c] + (c + 1 < cells.size() ? pad : "");
    }
    std::fprintf(out, "%s\n", text.c_str());
  };
  line(headers_);
  for (const auto& row : rows_) line(row);
}

}  // namespace scopefs::tools
