#include "store/index_value_order.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <utility>
#include <vector>

#include "store/external_sorter.h"

namespace scopefs::store {
namespace {

// Pairs of one range ordered in memory: the pairs (at most 16 bytes), plus the ordered entries.
constexpr size_t kPairCost = 16 + 8;
constexpr uint64_t kUnplaced = UINT64_MAX;  // no entry number is

void PutU64(uint64_t v, char* p) { std::memcpy(p, &v, 8); }
uint64_t GetU64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
void PutU32(uint64_t v, char* p) {
  const auto u = static_cast<uint32_t>(v);
  std::memcpy(p, &u, 4);
}
uint64_t GetU32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

}  // namespace

IndexValueOrder::IndexValueOrder(Env* env, std::string scratch_prefix, size_t memory_bytes,
                                 uint64_t max_entries, uint64_t total)
    : env_(env), prefix_(std::move(scratch_prefix)), memory_bytes_(memory_bytes) {
  // Ranges of about a third of the memory's pairs each (up to twice that once
  // the width is rounded up below), when values spread evenly.
  const uint64_t per_range = std::max<uint64_t>(1, memory_bytes_ / kPairCost / 3);
  const uint64_t ranges = std::clamp<uint64_t>((max_entries + per_range - 1) / per_range, 1, 4096);
  // A power of two, so that a value's range and offset are a shift and a mask
  // (a division per entry cost more than the rest of the partitioning).
  width_bits_ =
      static_cast<int>(std::bit_width(std::max<uint64_t>(1, (total + ranges - 1) / ranges) - 1));
  width_ = uint64_t{1} << width_bits_;
  if (width_ > UINT32_MAX || max_entries > UINT32_MAX) pair_bytes_ = 16;
  if (ranges > 1) {
    const size_t buffer = std::clamp<size_t>(memory_bytes_ / 4 / ranges, 4096, 65536);
    ranges_ = std::make_unique<SpillBuckets>(
        env_, prefix_ + ".ranges", static_cast<size_t>((total + width_ - 1) / width_), buffer);
    // The chunk and its partitioned copy: a fifth of the memory.
    chunk_capacity_ = std::max<size_t>(1024, memory_bytes_ / 8 / sizeof(Added));
  }
}

void IndexValueOrder::PutPair(uint64_t offset, uint64_t entry, char* p) const {
  if (pair_bytes_ == 8) {
    PutU32(offset, p);
    PutU32(entry, p + 4);
  } else {
    PutU64(offset, p);
    PutU64(entry, p + 8);
  }
}

IndexValueOrder::Pair IndexValueOrder::GetPair(const char* p) const {
  if (pair_bytes_ == 8) return {GetU32(p), GetU32(p + 4)};
  return {GetU64(p), GetU64(p + 8)};
}

Status IndexValueOrder::Add(uint64_t value, uint64_t entry) {
  if (!ranges_) {
    char pair[16];
    PutPair(value, entry, pair);
    pairs_.append(pair, pair_bytes_);
    return Status::Ok();
  }
  if (chunk_.capacity() == 0) chunk_.reserve(chunk_capacity_);
  chunk_.push_back({value, entry});
  return chunk_.size() == chunk_capacity_ ? FlushChunk() : Status::Ok();
}

Status IndexValueOrder::FlushChunk() {
  // A stable counting pass by range: each range's pairs keep arrival order.
  std::vector<size_t> start(ranges_->buckets() + 1, 0);
  for (const Added& a : chunk_) ++start[static_cast<size_t>(a.value >> width_bits_) + 1];
  for (size_t r = 1; r < start.size(); ++r) start[r] += start[r - 1];
  partitioned_.resize(chunk_.size() * pair_bytes_);
  std::vector<size_t> next(start.begin(), start.end() - 1);
  for (const Added& a : chunk_) {
    const auto range = static_cast<size_t>(a.value >> width_bits_);
    PutPair(a.value & (width_ - 1), a.entry, partitioned_.data() + next[range]++ * pair_bytes_);
  }
  chunk_.clear();
  for (size_t r = 0; r + 1 < start.size(); ++r) {
    if (start[r + 1] == start[r]) continue;
    RETURN_IF_ERROR(ranges_->Add(
        r, std::string_view(partitioned_)
               .substr(start[r] * pair_bytes_, (start[r + 1] - start[r]) * pair_bytes_)));
  }
  return Status::Ok();
}

Status IndexValueOrder::Drain(const Each& each) {
  if (!ranges_) {
    Status st = DrainRange(pairs_, each);
    std::string().swap(pairs_);
    return st;
  }
  RETURN_IF_ERROR(FlushChunk());
  std::vector<Added>().swap(chunk_);
  std::string().swap(partitioned_);
  RETURN_IF_ERROR(ranges_->Flush());
  std::string buffer;
  for (size_t r = 0; r < ranges_->buckets(); ++r) {
    if (ranges_->records(r) * kPairCost > memory_bytes_) {
      RETURN_IF_ERROR(DrainLargeRange(r, each));
      continue;
    }
    RETURN_IF_ERROR(ranges_->Read(r, &buffer));
    RETURN_IF_ERROR(DrainRange(buffer, each));
  }
  ranges_.reset();
  return Status::Ok();
}

Status IndexValueOrder::DrainRange(std::string_view pairs, const Each& each) {
  const size_t n = pairs.size() / pair_bytes_;
  if (n == 0) return Status::Ok();
  // The usual mapping gives each index once: the range's offsets are then
  // 0..n-1, each once, and each entry goes straight to its place.
  std::vector<uint64_t> entries(n, kUnplaced);
  bool placed = true;
  for (size_t i = 0; i < n && placed; ++i) {
    const Pair p = GetPair(pairs.data() + i * pair_bytes_);
    placed = p.offset < n && entries[p.offset] == kUnplaced;
    if (placed) entries[p.offset] = p.entry;
  }
  if (placed) return each(entries);
  // The pairs came in entry order, so a stable order by value is the order
  // by (value, entry). A dense range takes a counting sort.
  if (width_ <= 4 * n + 1024) {
    std::vector<uint32_t> start(static_cast<size_t>(width_) + 1, 0);
    for (size_t i = 0; i < n; ++i) ++start[GetPair(pairs.data() + i * pair_bytes_).offset + 1];
    for (size_t v = 1; v < start.size(); ++v) start[v] += start[v - 1];
    for (size_t i = 0; i < n; ++i) {
      const Pair p = GetPair(pairs.data() + i * pair_bytes_);
      entries[start[p.offset]++] = p.entry;
    }
  } else {
    std::vector<std::pair<uint64_t, uint64_t>> sorted(n);
    for (size_t i = 0; i < n; ++i) {
      const Pair p = GetPair(pairs.data() + i * pair_bytes_);
      sorted[i] = {p.offset, p.entry};
    }
    std::sort(sorted.begin(), sorted.end());
    for (size_t i = 0; i < n; ++i) entries[i] = sorted[i].second;
  }
  return each(entries);
}

Status IndexValueOrder::DrainLargeRange(size_t range, const Each& each) {
  // Keys of 16 bytes, the value's offset in the range then the entry, big-endian: bytewise order is
  // the order wanted.
  ExternalSorter sorter(
      env_, prefix_ + ".large" + std::to_string(range),
      [](std::string_view a, std::string_view b) { return a < b; }, memory_bytes_);
  auto add = [&](std::string_view block) -> Status {
    for (size_t at = 0; at + pair_bytes_ <= block.size(); at += pair_bytes_) {
      const Pair p = GetPair(block.data() + at);
      char key[16];
      for (int i = 0; i < 8; ++i) {
        key[i] = static_cast<char>(p.offset >> (56 - 8 * i));
        key[8 + i] = static_cast<char>(p.entry >> (56 - 8 * i));
      }
      RETURN_IF_ERROR(sorter.Add(std::string_view(key, sizeof key)));
    }
    return Status::Ok();
  };
  RETURN_IF_ERROR(ranges_->ForEachBlock(range, add));
  std::vector<uint64_t> entries;
  RETURN_IF_ERROR(sorter.Drain([&](std::string_view key) -> Status {
    uint64_t entry = 0;
    for (int i = 8; i < 16; ++i) entry = (entry << 8) | static_cast<unsigned char>(key[i]);
    entries.push_back(entry);
    if (entries.size() < 4096) return Status::Ok();
    Status st = each(entries);
    entries.clear();
    return st;
  }));
  return entries.empty() ? Status::Ok() : each(entries);
}

}  // namespace scopefs::store
