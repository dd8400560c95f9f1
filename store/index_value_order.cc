#include "store/index_value_order.h"

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

#include "store/external_sorter.h"

namespace scopefs::store {
namespace {

// A pair as held in memory and in the ranges (host order: scratch): u64 value, u64 entry.
constexpr size_t kPair = 16;
// Pairs of one range ordered in memory: the pairs, plus the ordered entries.
constexpr size_t kPairCost = kPair + 8;

void PutU64(uint64_t v, char* p) { std::memcpy(p, &v, 8); }
uint64_t GetU64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

}  // namespace

IndexValueOrder::IndexValueOrder(Env* env, std::string scratch_prefix, size_t memory_bytes,
                                 uint64_t max_entries, uint64_t total)
    : env_(env), prefix_(std::move(scratch_prefix)), memory_bytes_(memory_bytes) {
  // Ranges of about a third of the memory's pairs each, when values spread evenly.
  const uint64_t per_range = std::max<uint64_t>(1, memory_bytes_ / kPairCost / 3);
  const uint64_t ranges = std::clamp<uint64_t>((max_entries + per_range - 1) / per_range, 1, 4096);
  width_ = std::max<uint64_t>(1, (total + ranges - 1) / ranges);
  if (ranges > 1) {
    const size_t buffer = std::clamp<size_t>(memory_bytes_ / 4 / ranges, 4096, 65536);
    ranges_ = std::make_unique<SpillBuckets>(
        env_, prefix_ + ".ranges", static_cast<size_t>((total + width_ - 1) / width_), buffer);
  }
}

Status IndexValueOrder::Add(uint64_t value, uint64_t entry) {
  char pair[kPair];
  PutU64(value, pair);
  PutU64(entry, pair + 8);
  if (!ranges_) {
    pairs_.append(pair, kPair);
    return Status::Ok();
  }
  return ranges_->Add(static_cast<size_t>(value / width_), std::string_view(pair, kPair));
}

Status IndexValueOrder::Drain(const std::function<Status(uint64_t entry)>& each) {
  if (!ranges_) {
    Status st = DrainRange(pairs_, 0, each);
    std::string().swap(pairs_);
    return st;
  }
  RETURN_IF_ERROR(ranges_->Flush());
  std::string buffer;
  for (size_t r = 0; r < ranges_->buckets(); ++r) {
    if (ranges_->records(r) * kPairCost > memory_bytes_) {
      RETURN_IF_ERROR(DrainLargeRange(r, each));
      continue;
    }
    RETURN_IF_ERROR(ranges_->Read(r, &buffer));
    RETURN_IF_ERROR(DrainRange(buffer, r * width_, each));
  }
  ranges_.reset();
  return Status::Ok();
}

Status IndexValueOrder::DrainRange(std::string_view pairs, uint64_t base,
                                   const std::function<Status(uint64_t entry)>& each) {
  const size_t n = pairs.size() / kPair;
  if (n == 0) return Status::Ok();
  std::vector<uint64_t> entries(n);
  // The pairs came in entry order, so a stable order by value is the order
  // by (value, entry). A dense range takes a counting sort.
  if (width_ <= 4 * n + 1024) {
    std::vector<uint32_t> start(static_cast<size_t>(width_) + 1, 0);
    for (size_t i = 0; i < n; ++i) ++start[GetU64(pairs.data() + i * kPair) - base + 1];
    for (size_t v = 1; v < start.size(); ++v) start[v] += start[v - 1];
    for (size_t i = 0; i < n; ++i) {
      const char* p = pairs.data() + i * kPair;
      entries[start[GetU64(p) - base]++] = GetU64(p + 8);
    }
  } else {
    std::vector<std::pair<uint64_t, uint64_t>> sorted(n);
    for (size_t i = 0; i < n; ++i) {
      sorted[i] = {GetU64(pairs.data() + i * kPair), GetU64(pairs.data() + i * kPair + 8)};
    }
    std::sort(sorted.begin(), sorted.end());
    for (size_t i = 0; i < n; ++i) entries[i] = sorted[i].second;
  }
  for (uint64_t e : entries) RETURN_IF_ERROR(each(e));
  return Status::Ok();
}

Status IndexValueOrder::DrainLargeRange(size_t range,
                                        const std::function<Status(uint64_t entry)>& each) {
  // Keys of 16 bytes, value then entry, big-endian: bytewise order is the order wanted.
  ExternalSorter sorter(
      env_, prefix_ + ".large" + std::to_string(range),
      [](std::string_view a, std::string_view b) { return a < b; }, memory_bytes_);
  auto add = [&](std::string_view block) -> Status {
    for (size_t at = 0; at + kPair <= block.size(); at += kPair) {
      char key[kPair];
      for (int half = 0; half < 2; ++half) {
        const uint64_t v = GetU64(block.data() + at + 8 * half);
        for (int i = 0; i < 8; ++i) key[8 * half + i] = static_cast<char>(v >> (56 - 8 * i));
      }
      RETURN_IF_ERROR(sorter.Add(std::string_view(key, kPair)));
    }
    return Status::Ok();
  };
  RETURN_IF_ERROR(ranges_->ForEachBlock(range, add));
  return sorter.Drain([&](std::string_view key) {
    uint64_t entry = 0;
    for (int i = 8; i < 16; ++i) entry = (entry << 8) | static_cast<unsigned char>(key[i]);
    return each(entry);
  });
}

}  // namespace scopefs::store
