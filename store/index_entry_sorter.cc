#include "store/index_entry_sorter.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <future>
#include <system_error>
#include <utility>

#include "store/external_sorter.h"

namespace scopefs::store {
namespace {

constexpr size_t kBuckets = 256;  // split by 8 bits of the hash at a time
constexpr size_t kBatch = 4096;   // entries handed to Drain's callback at once

// A record, as held in memory and in the buckets (scratch, never read by
// another build): u32 hash (host order), the id's length and the value as
// LEB128 varints, then the id's bytes. Varints, since most ids and values
// are short: the spilled bytes are most of what the index build costs.
constexpr size_t kMaxHead = 4 + 10 + 10;
struct Head {
  uint32_t hash;
  uint32_t length;
  uint64_t value;
  uint32_t size;  // of the head itself
};
char* PutVarint(uint64_t v, char* p) {
  for (; v >= 0x80; v >>= 7) *p++ = static_cast<char>(v | 0x80);
  *p++ = static_cast<char>(v);
  return p;
}
uint64_t GetVarint(const char*& p) {
  uint64_t v = 0;
  for (int shift = 0;; shift += 7) {
    const auto byte = static_cast<unsigned char>(*p++);
    v |= uint64_t{byte & 0x7fu} << shift;
    if (byte < 0x80) return v;
  }
}
Head ReadHead(const char* p) {
  Head h;
  std::memcpy(&h.hash, p, 4);
  const char* at = p + 4;
  h.length = static_cast<uint32_t>(GetVarint(at));
  h.value = GetVarint(at);
  h.size = static_cast<uint32_t>(at - p);
  return h;
}
// Writes a record's head into `out` (kMaxHead bytes) and returns it.
std::string_view PutHead(char* out, uint32_t hash, size_t length, uint64_t value) {
  std::memcpy(out, &hash, 4);
  const char* end = PutVarint(value, PutVarint(length, out + 4));
  return std::string_view(out, static_cast<size_t>(end - out));
}
void AppendRecord(std::string& out, uint32_t hash, std::string_view id, uint64_t value) {
  char head[kMaxHead];
  out.append(PutHead(head, hash, id.size(), value));
  out.append(id);
}
// Calls `each(head, record)` for every record of `records`, in order.
template <typename Each>
void ForEachRecord(std::string_view records, Each each) {
  for (size_t at = 0; at < records.size();) {
    const Head h = ReadHead(records.data() + at);
    const size_t n = h.size + h.length;
    each(h, records.substr(at, n));
    at += n;
  }
}

}  // namespace

IndexEntrySorter::IndexEntrySorter(Env* env, std::string scratch_prefix, size_t memory_bytes)
    : env_(env),
      prefix_(std::move(scratch_prefix)),
      // Arrival numbers and offsets in a batch must fit in 32 bits.
      memory_bytes_(std::min<size_t>(memory_bytes, size_t{1} << 31)) {}

IndexEntrySorter::~IndexEntrySorter() = default;

size_t IndexEntrySorter::BufferBytes() const {
  return std::clamp<size_t>(memory_bytes_ / 1024, 4096, 65536);
}

bool IndexEntrySorter::FitsInMemory(uint64_t bytes, uint64_t records) const {
  // The slots, and as many again for the radix sort's other half.
  return records <= 1 || bytes + 2 * records * sizeof(Slot) <= memory_bytes_;
}

Status IndexEntrySorter::Add(uint32_t hash, std::string_view id, uint64_t value) {
  if (id.size() > UINT32_MAX) return Status::Invalid("an id of 4 GiB or more");
  if (!buckets_ && !FitsInMemory(arena_.size() + kMaxHead + id.size(), arena_records_ + 1)) {
    RETURN_IF_ERROR(Spill());
  }
  ++added_;
  added_bytes_ += id.size();
  if (buckets_) {
    char head[kMaxHead];
    return buckets_->Add(hash >> 24, PutHead(head, hash, id.size(), value), id);
  }
  AppendRecord(arena_, hash, id, value);
  ++arena_records_;
  return Status::Ok();
}

Status IndexEntrySorter::Spill() {
  buckets_ = std::make_unique<SpillBuckets>(env_, prefix_ + ".spill", kBuckets, BufferBytes());
  Status st;
  ForEachRecord(arena_, [&](const Head& h, std::string_view record) {
    if (st.ok()) st = buckets_->Add(h.hash >> 24, record);
  });
  std::string().swap(arena_);
  arena_records_ = 0;
  return st;
}

void IndexEntrySorter::SortByHash(std::vector<Slot>& slots, std::vector<Slot>& scratch) {
  // A least-significant-digit radix sort, a byte of the hash at a time: stable,
  // so slots of equal hashes stay in arrival order, and linear, where a
  // comparison sort was most of the index's build time. A byte every slot
  // shares (a bucket's top byte) needs no pass.
  constexpr int kDigits = 4;
  std::array<std::array<size_t, 256>, kDigits> counts{};
  for (const Slot& s : slots) {
    for (int d = 0; d < kDigits; ++d) ++counts[d][(s.key >> (32 + 8 * d)) & 0xff];
  }
  for (int d = 0; d < kDigits; ++d) {
    std::array<size_t, 256>& count = counts[d];
    if (std::find(count.begin(), count.end(), slots.size()) != count.end()) continue;
    size_t at = 0;
    for (size_t& c : count) at += std::exchange(c, at);
    scratch.resize(slots.size());
    for (const Slot& s : slots) scratch[count[(s.key >> (32 + 8 * d)) & 0xff]++] = s;
    slots.swap(scratch);
  }
}

void IndexEntrySorter::SortInMemory(std::string_view records, std::vector<Slot>& slots,
                                    std::vector<Slot>& scratch) {
  slots.clear();
  uint64_t arrival = 0;
  ForEachRecord(records, [&](const Head& h, std::string_view record) {
    slots.push_back({uint64_t{h.hash} << 32 | arrival++,
                     static_cast<uint64_t>(record.data() - records.data())});
  });
  SortByHash(slots, scratch);
  auto id = [&](const Slot& s) {
    const Head h = ReadHead(records.data() + s.offset);
    return records.substr(s.offset + h.size, h.length);
  };
  // Equal hashes (rare) are ordered by id; stable, so arrival order stays among equal ids.
  for (size_t i = 0; i < slots.size();) {
    size_t j = i + 1;
    while (j < slots.size() && slots[j].key >> 32 == slots[i].key >> 32) ++j;
    if (j - i > 1) {
      std::stable_sort(slots.begin() + static_cast<ptrdiff_t>(i),
                       slots.begin() + static_cast<ptrdiff_t>(j),
                       [&](const Slot& a, const Slot& b) { return id(a) < id(b); });
    }
    i = j;
  }
  // Of equal ids (adjacent now), the last to arrive wins.
  size_t kept = 0;
  for (size_t i = 0; i < slots.size(); ++i) {
    const bool replaced = i + 1 < slots.size() && slots[i + 1].key >> 32 == slots[i].key >> 32 &&
                          id(slots[i + 1]) == id(slots[i]);
    if (!replaced) slots[kept++] = slots[i];
  }
  slots.resize(kept);
}

Status IndexEntrySorter::ReadSorted(const SpillBuckets& buckets, size_t b, SortedBucket& out) {
  RETURN_IF_ERROR(buckets.Read(b, &out.records));
  SortInMemory(out.records, out.slots, out.scratch);
  return Status::Ok();
}

Status IndexEntrySorter::EmitSorted(std::string_view records, const std::vector<Slot>& slots,
                                    const Each& each) {
  for (size_t from = 0; from < slots.size(); from += kBatch) {
    batch_.clear();
    for (size_t i = from; i < std::min(slots.size(), from + kBatch); ++i) {
      const Head h = ReadHead(records.data() + slots[i].offset);
      batch_.push_back({h.hash, records.substr(slots[i].offset + h.size, h.length), h.value});
    }
    RETURN_IF_ERROR(each(batch_));
  }
  return Status::Ok();
}

Result<IndexEntrySorter::Extent> IndexEntrySorter::Seal() {
  if (std::exchange(sealed_, true)) return Status::Invalid("index entries sealed twice");
  if (buckets_) {
    RETURN_IF_ERROR(buckets_->Flush());
    return Extent{added_, added_bytes_, false};
  }
  SortedBucket& sorted = sorted_[0];
  SortInMemory(arena_, sorted.slots, sorted.scratch);
  Extent extent{sorted.slots.size(), 0, true};
  for (const Slot& s : sorted.slots) extent.bytes += ReadHead(arena_.data() + s.offset).length;
  return extent;
}

Status IndexEntrySorter::Drain(const Each& each) {
  if (!sealed_) return Status::Invalid("index entries drained before sealed");
  Status st =
      buckets_ ? DrainBuckets(*buckets_, 24, each) : EmitSorted(arena_, sorted_[0].slots, each);
  std::string().swap(arena_);
  for (SortedBucket& sorted : sorted_) sorted = SortedBucket();
  std::vector<Entry>().swap(batch_);
  buckets_.reset();
  return st;
}

Status IndexEntrySorter::DrainBuckets(SpillBuckets& buckets, int shift, const Each& each) {
  const size_t n = buckets.buckets();
  auto next_with_records = [&](size_t b) {
    while (b < n && buckets.records(b) == 0) ++b;
    return b;
  };
  // The bucket being read and sorted on a thread while `current` is handed
  // out (the sort is about a quarter of a drain), into `ahead`; none: n.
  SortedBucket* current = &sorted_[0];
  SortedBucket* ahead = &sorted_[1];
  size_t ahead_bucket = n;
  Status ahead_status;
  std::future<void> reading;
  for (size_t b = next_with_records(0); b < n; b = next_with_records(b + 1)) {
    if (b != ahead_bucket && !FitsInMemory(buckets.bytes(b), buckets.records(b))) {
      if (shift == 0) {
        RETURN_IF_ERROR(DrainOneHash(buckets, b, each));
        continue;
      }
      // Too large: split it by the next 8 bits of the hash.
      SpillBuckets split(env_, prefix_ + ".split" + std::to_string(scratch_files_++), kBuckets,
                         BufferBytes());
      RETURN_IF_ERROR(buckets.ForEachBlock(b, [&](std::string_view block) {
        Status st;
        ForEachRecord(block, [&](const Head& h, std::string_view record) {
          if (st.ok()) st = split.Add((h.hash >> (shift - 8)) & 0xff, record);
        });
        return st;
      }));
      RETURN_IF_ERROR(split.Flush());
      RETURN_IF_ERROR(DrainBuckets(split, shift - 8, each));
      continue;
    }
    if (b == ahead_bucket) {
      reading.get();
      RETURN_IF_ERROR(ahead_status);
      std::swap(current, ahead);
    } else {
      RETURN_IF_ERROR(ReadSorted(buckets, b, *current));
    }
    ahead_bucket = next_with_records(b + 1);
    if (ahead_bucket < n && FitsInMemory(buckets.bytes(b) + buckets.bytes(ahead_bucket),
                                         buckets.records(b) + buckets.records(ahead_bucket))) {
      try {
        reading = std::async(std::launch::async, [&buckets, &ahead_status, ahead, ahead_bucket] {
          ahead_status = ReadSorted(buckets, ahead_bucket, *ahead);
        });
      } catch (const std::system_error&) {
        ahead_bucket = n;  // no thread to be had: the next one is read in turn
      }
    } else {
      ahead_bucket = n;
    }
    // On an error, `reading`'s destructor waits for the thread first.
    RETURN_IF_ERROR(EmitSorted(current->records, current->slots, each));
  }
  return Status::Ok();
}

Status IndexEntrySorter::DrainOneHash(SpillBuckets& buckets, size_t bucket, const Each& each) {
  // Sorter records: arrival (big-endian u64), value (u64), id.
  auto less = [](std::string_view a, std::string_view b) {
    if (const int c = a.substr(16).compare(b.substr(16)); c != 0) return c < 0;
    return std::memcmp(a.data(), b.data(), 8) < 0;
  };
  ExternalSorter sorter(env_, prefix_ + ".hash" + std::to_string(scratch_files_++), less,
                        memory_bytes_);
  uint32_t hash = 0;
  uint64_t arrival = 0;
  std::string rec;
  RETURN_IF_ERROR(buckets.ForEachBlock(bucket, [&](std::string_view block) {
    Status st;
    ForEachRecord(block, [&](const Head& h, std::string_view record) {
      hash = h.hash;
      rec.resize(16);
      for (int i = 0; i < 8; ++i) rec[i] = static_cast<char>(arrival >> (56 - 8 * i));
      ++arrival;
      std::memcpy(rec.data() + 8, &h.value, 8);
      rec.append(record.substr(h.size));
      if (st.ok()) st = sorter.Add(rec);
    });
    return st;
  }));
  // Equal ids come together, the last to arrive last: it replaces the others.
  bool have = false;
  std::string last_id;
  uint64_t last_value = 0;
  auto emit_last = [&] {
    const Entry entry{hash, last_id, last_value};
    return each(std::span<const Entry>(&entry, 1));
  };
  auto take = [&](std::string_view r) -> Status {
    if (have && r.substr(16) != last_id) RETURN_IF_ERROR(emit_last());
    have = true;
    last_id.assign(r.substr(16));
    std::memcpy(&last_value, r.data() + 8, 8);
    return Status::Ok();
  };
  RETURN_IF_ERROR(sorter.Drain(take));
  return have ? emit_last() : Status::Ok();
}

}  // namespace scopefs::store
