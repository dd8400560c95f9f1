#include "store/mapping_index.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "store/crc32.h"
#include "store/index_value_order.h"
#include "store/log.h"

namespace scopefs::store {
namespace {

constexpr int kMaxFanoutBits = 24;

// About eight entries per fan-out bucket: a lookup bisects a handful of
// hashes, and the fan-out costs about one byte per entry.
int FanoutBits(uint64_t entries) {
  return std::clamp(static_cast<int>(std::bit_width(entries)) - 3, 0, kMaxFanoutBits);
}
uint64_t FanoutSlots(int bits) { return (uint64_t{1} << bits) + 1; }
uint64_t Bucket(uint32_t hash, int bits) { return uint64_t{hash} >> (32 - bits); }
constexpr size_t kTableEntry = 24;
constexpr size_t kPiece = size_t{1} << 20;
enum Section { kFanout, kHashes, kValues, kOffsets, kIds, kByValue };

void PutLe(uint64_t v, int width, char* out) {
  if constexpr (std::endian::native == std::endian::little) {
    // Fixed sizes, so each copy is a single store, not a call.
    if (width == 8) {
      std::memcpy(out, &v, 8);
    } else if (width == 4) {
      const auto v32 = static_cast<uint32_t>(v);
      std::memcpy(out, &v32, 4);
    } else {
      std::memcpy(out, &v, static_cast<size_t>(width));
    }
  } else {
    for (int i = 0; i < width; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  }
}
uint64_t GetLe(const char* p, int width) {
  uint64_t v = 0;
  for (int i = width - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
uint64_t Align8(uint64_t n) { return (n + 7) & ~uint64_t{7}; }

// CRC-32 (gzip's polynomial, reflected) for slicing by 8: t[0] is the
// byte-at-a-time table, t[k] a byte followed by k zero bytes.
using CrcTables = std::array<std::array<uint32_t, 256>, 8>;
constexpr CrcTables MakeCrcTables() {
  CrcTables t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int bit = 0; bit < 8; ++bit) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[0][i] = c;
  }
  for (size_t k = 1; k < 8; ++k) {
    for (size_t i = 0; i < 256; ++i) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff];
  }
  return t;
}
constexpr CrcTables kCrcTables = MakeCrcTables();

// Appends to a file through a buffer, summing a CRC of what it wrote. Each
// piece starts on its way to disk as it is written: the index is hundreds of
// MB, and the commit's fsync of it would otherwise wait for all of them.
class Appender {
 public:
  Appender(File* file, uint64_t offset)
      : file_(file), offset_(offset), buffer_(std::make_unique<char[]>(kPiece)) {}
  Status Append(std::string_view data) {
    if (data.size() > kPiece - used_) {
      RETURN_IF_ERROR(Flush());
      if (data.size() > kPiece) return Write(data);
    }
    std::memcpy(buffer_.get() + used_, data.data(), data.size());
    used_ += data.size();
    return Status::Ok();
  }
  Status AppendInt(uint64_t v, int width) {
    if (kPiece - used_ < 8) RETURN_IF_ERROR(Flush());
    PutLe(v, width, buffer_.get() + used_);
    used_ += static_cast<size_t>(width);
    return Status::Ok();
  }
  Status Flush() {
    const Status st = Write(std::string_view(buffer_.get(), used_));
    used_ = 0;
    return st;
  }
  // Both count what was flushed.
  uint32_t crc() const { return crc_; }
  uint64_t written() const { return written_; }

 private:
  Status Write(std::string_view data) {
    if (data.empty()) return Status::Ok();
    crc_ = Crc32Update(crc_, data);
    written_ += data.size();
    RETURN_IF_ERROR(file_->WriteAt(offset_, data.data(), data.size()));
    file_->StartWriteback(offset_, data.size());
    offset_ += data.size();
    return Status::Ok();
  }

  File* const file_;
  uint64_t offset_;
  std::unique_ptr<char[]> buffer_;  // kPiece bytes
  size_t used_ = 0;
  uint32_t crc_ = 0;
  uint64_t written_ = 0;
};

struct SectionSpan {
  uint64_t offset = 0;
  uint64_t length = 0;
  uint32_t crc = 0;
};

struct Header {
  uint64_t count = 0;
  uint64_t total = 0;
  int value_width = 0, offset_width = 0, position_width = 0;
  int fanout_bits = 0;
  std::array<SectionSpan, kIndexSections> sections;
};

std::string SerializeHeader(const Header& h) {
  std::string out(kIndexHeaderSize + kIndexSections * kTableEntry, '\0');
  char* p = out.data();
  std::memcpy(p, kIndexMagic.data(), 8);
  PutLe(kIndexVersion, 4, p + 8);
  PutLe(kIndexHashCrc32, 4, p + 12);
  PutLe(h.count, 8, p + 16);
  PutLe(h.total, 8, p + 24);
  p[32] = static_cast<char>(h.value_width);
  p[33] = static_cast<char>(h.offset_width);
  p[34] = static_cast<char>(h.position_width);
  p[35] = static_cast<char>(h.fanout_bits);
  PutLe(kIndexSections, 4, p + 36);
  for (int s = 0; s < kIndexSections; ++s) {
    char* e = p + kIndexHeaderSize + s * kTableEntry;
    PutLe(h.sections[s].offset, 8, e);
    PutLe(h.sections[s].length, 8, e + 8);
    PutLe(h.sections[s].crc, 4, e + 16);
  }
  const uint32_t crc =
      Crc32Update(Crc32(std::string_view(p, 60)),
                  std::string_view(p + kIndexHeaderSize, kIndexSections * kTableEntry));
  PutLe(crc, 4, p + 60);
  return out;
}

// Parses and checks the header and section table against `file_size`.
Result<Header> ParseHeader(std::string_view bytes, uint64_t file_size) {
  const size_t head = kIndexHeaderSize + kIndexSections * kTableEntry;
  if (bytes.size() < head) return Status::Corruption("shorter than its header");
  const char* p = bytes.data();
  if (std::string_view(p, 8) != kIndexMagic) return Status::Corruption("not an index (bad magic)");
  if (GetLe(p + 8, 4) != kIndexVersion) return Status::Corruption("unknown index version");
  if (GetLe(p + 12, 4) != kIndexHashCrc32) return Status::Corruption("unknown hash function");
  const uint32_t crc =
      Crc32Update(Crc32(std::string_view(p, 60)),
                  std::string_view(p + kIndexHeaderSize, kIndexSections * kTableEntry));
  if (GetLe(p + 60, 4) != crc) return Status::Corruption("header checksum mismatch");
  Header h;
  h.count = GetLe(p + 16, 8);
  h.total = GetLe(p + 24, 8);
  h.value_width = static_cast<unsigned char>(p[32]);
  h.offset_width = static_cast<unsigned char>(p[33]);
  h.position_width = static_cast<unsigned char>(p[34]);
  for (int w : {h.value_width, h.offset_width, h.position_width}) {
    if (w != 4 && w != 8) return Status::Corruption("bad integer width");
  }
  h.fanout_bits = static_cast<unsigned char>(p[35]);
  if (h.fanout_bits > kMaxFanoutBits || GetLe(p + 36, 4) != kIndexSections) {
    return Status::Corruption("bad fan-out bits or section count");
  }
  if (h.count > file_size) return Status::Corruption("count larger than the file");
  uint64_t end = head;
  for (int s = 0; s < kIndexSections; ++s) {
    const char* e = p + kIndexHeaderSize + s * kTableEntry;
    SectionSpan& span = h.sections[s];
    span = {GetLe(e, 8), GetLe(e + 8, 8), static_cast<uint32_t>(GetLe(e + 16, 4))};
    if (span.offset % 8 != 0 || span.offset < end || span.offset - end > 7 ||
        span.offset > file_size || span.length > file_size - span.offset) {
      return Status::Corruption("section " + std::to_string(s) + " lies outside the file");
    }
    end = span.offset + span.length;
  }
  const uint64_t n = h.count;
  const uint64_t expect[kIndexSections] = {FanoutSlots(h.fanout_bits) * 8,
                                           n * 4,
                                           n * static_cast<uint64_t>(h.value_width),
                                           (n + 1) * static_cast<uint64_t>(h.offset_width),
                                           h.sections[kIds].length,
                                           n * static_cast<uint64_t>(h.position_width)};
  for (int s = 0; s < kIndexSections; ++s) {
    if (h.sections[s].length != expect[s]) {
      return Status::Corruption("section " + std::to_string(s) + " has the wrong length");
    }
  }
  if (end != file_size) return Status::Corruption("bytes after the last section");
  return h;
}

// Where the sections of `count` entries whose ids take `blob` bytes lie.
Header Layout(uint64_t count, uint64_t blob, uint64_t total, int fanout_bits) {
  Header h;
  h.count = count;
  h.total = total;
  h.value_width = total <= (uint64_t{1} << 32) ? 4 : 8;
  h.offset_width = blob < (uint64_t{1} << 32) ? 4 : 8;
  h.position_width = count < (uint64_t{1} << 32) ? 4 : 8;
  h.fanout_bits = fanout_bits;
  const uint64_t lengths[kIndexSections] = {FanoutSlots(fanout_bits) * 8,
                                            count * 4,
                                            count * static_cast<uint64_t>(h.value_width),
                                            (count + 1) * static_cast<uint64_t>(h.offset_width),
                                            blob,
                                            count * static_cast<uint64_t>(h.position_width)};
  uint64_t at = kIndexHeaderSize + kIndexSections * kTableEntry;
  for (int s = 0; s < kIndexSections; ++s) {
    at = Align8(at);
    h.sections[s].offset = at;
    h.sections[s].length = lengths[s];
    at += lengths[s];
  }
  return h;
}

// The width of section s's integers (1 for the ids' bytes).
int Width(const Header& h, int s) {
  switch (s) {
    case kFanout: return 8;
    case kHashes: return 4;
    case kValues: return h.value_width;
    case kOffsets: return h.offset_width;
    case kByValue: return h.position_width;
    default: return 1;
  }
}

// Moves `n` integers of `from_width` bytes at `from` to `to`, as `to_width`
// bytes, and returns the CRC of what it wrote. REQUIRES: to <= from,
// to_width <= from_width (so no integer is overwritten before it is read).
Result<uint32_t> MoveInts(File& file, uint64_t from, int from_width, uint64_t to, int to_width,
                          uint64_t n) {
  Appender out(&file, to);
  std::string buf(kPiece, '\0');
  const uint64_t per_piece = kPiece / static_cast<uint64_t>(from_width);
  for (uint64_t done = 0; done < n;) {
    const uint64_t k = std::min(per_piece, n - done);
    const size_t bytes = static_cast<size_t>(k) * static_cast<size_t>(from_width);
    RETURN_IF_ERROR(ReadExactly(file, from + done * static_cast<uint64_t>(from_width), buf.data(),
                                bytes, "index"));
    if (from_width == to_width) {
      RETURN_IF_ERROR(out.Append(std::string_view(buf.data(), bytes)));
    } else {
      for (size_t i = 0; i < bytes; i += static_cast<size_t>(from_width)) {
        RETURN_IF_ERROR(out.AppendInt(GetLe(buf.data() + i, from_width), to_width));
      }
    }
    done += k;
  }
  RETURN_IF_ERROR(out.Flush());
  return out.crc();
}

}  // namespace

uint32_t IndexHash(std::string_view id) {
  // Most ids are a few dozen bytes, where libdeflate's carry-less multiply
  // costs more to set up than it saves: a table, eight bytes at a time, hashes
  // a 14-byte id in ~17 ns against ~28 (one per entry, at every commit).
  if (std::endian::native != std::endian::little || id.size() > 64) return Crc32(id);
  const auto& t = kCrcTables;
  uint32_t c = ~uint32_t{0};
  const char* p = id.data();
  size_t n = id.size();
  for (; n >= 8; p += 8, n -= 8) {
    uint32_t lo, hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + 4, 4);
    lo ^= c;
    c = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^
        t[3][hi & 0xff] ^ t[2][(hi >> 8) & 0xff] ^ t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
  }
  for (; n > 0; ++p, --n) c = t[0][(c ^ static_cast<unsigned char>(*p)) & 0xff] ^ (c >> 8);
  return ~c;
}

MappingIndexBuilder::MappingIndexBuilder(Env* env, std::string scratch_prefix, size_t memory_bytes)
    : scratch_(env),
      prefix_(std::move(scratch_prefix)),
      memory_bytes_(memory_bytes),
      entries_(std::make_unique<IndexEntrySorter>(&scratch_, prefix_ + ".entries", memory_bytes)) {}

MappingIndexBuilder::~MappingIndexBuilder() = default;

Status MappingIndexBuilder::Add(std::string_view id, uint64_t value) {
  if (!entries_) return Status::Invalid("index entries added after the index was written");
  ++added_;
  return entries_->Add(IndexHash(id), id, value);
}

Result<uint64_t> MappingIndexBuilder::Finish(File& out, uint64_t total) {
  if (!entries_) {
    return Status::FromErrno(EIO,
                             "mappings.json must be written again: its index was lost "
                             "with an earlier failure");
  }
  Result<uint64_t> size = FinishEntries(out, total);
  entries_.reset();  // its scratch goes now, not when the builder does
  return size;
}

Result<uint64_t> MappingIndexBuilder::FinishEntries(File& out, uint64_t total) {
  ASSIGN_OR_RETURN(IndexEntrySorter::Extent extent, entries_->Seal());
  const int fanout_bits = FanoutBits(added_);  // added_ >= count: a bound known now
  // The sections go where they belong if no id was repeated (always so when
  // the extent is exact); else they are moved up at the end.
  const Header planned = Layout(extent.count, extent.bytes, total, fanout_bits);
  std::array<Appender, kByValue> part = {Appender(&out, planned.sections[kFanout].offset),
                                         Appender(&out, planned.sections[kHashes].offset),
                                         Appender(&out, planned.sections[kValues].offset),
                                         Appender(&out, planned.sections[kOffsets].offset),
                                         Appender(&out, planned.sections[kIds].offset)};
  IndexValueOrder by_value(&scratch_, prefix_ + ".by_value", memory_bytes_, extent.count, total);
  uint64_t count = 0, blob = 0, next_slot = 0;
  auto take = [&](std::span<const IndexEntrySorter::Entry> batch) -> Status {
    for (const auto& [hash, id, value] : batch) {
      if (value >= total) {
        return Status::Invalid("index " + std::to_string(value) + " is not below the total " +
                               std::to_string(total));
      }
      // fanout[b]: the first entry in bucket b or later.
      for (const uint64_t b = Bucket(hash, fanout_bits); next_slot <= b; ++next_slot) {
        RETURN_IF_ERROR(part[kFanout].AppendInt(count, 8));
      }
      RETURN_IF_ERROR(part[kHashes].AppendInt(hash, 4));
      RETURN_IF_ERROR(part[kValues].AppendInt(value, planned.value_width));
      RETURN_IF_ERROR(part[kOffsets].AppendInt(blob, planned.offset_width));
      RETURN_IF_ERROR(part[kIds].Append(id));
      blob += id.size();
      RETURN_IF_ERROR(by_value.Add(value, count++));
    }
    return Status::Ok();
  };
  RETURN_IF_ERROR(entries_->Drain(take));
  for (; next_slot < FanoutSlots(fanout_bits); ++next_slot) {
    RETURN_IF_ERROR(part[kFanout].AppendInt(count, 8));
  }
  RETURN_IF_ERROR(part[kOffsets].AppendInt(blob, planned.offset_width));

  Header h = Layout(count, blob, total, fanout_bits);
  for (int s = kFanout; s < kByValue; ++s) {
    RETURN_IF_ERROR(part[s].Flush());
    const int width = s == kOffsets ? planned.offset_width : Width(h, s);
    const uint64_t ints = h.sections[s].length / static_cast<uint64_t>(Width(h, s));
    if (part[s].written() != ints * static_cast<uint64_t>(width)) {
      return Status::FromErrno(EIO, "index section " + std::to_string(s) + " came out " +
                                        std::to_string(part[s].written()) + " bytes");
    }
    if (h.sections[s].offset == planned.sections[s].offset && width == Width(h, s)) {
      h.sections[s].crc = part[s].crc();
    } else {  // a repeated id: the section moves up (and its offsets may narrow)
      ASSIGN_OR_RETURN(h.sections[s].crc, MoveInts(out, planned.sections[s].offset, width,
                                                   h.sections[s].offset, Width(h, s), ints));
    }
  }
  Appender order(&out, h.sections[kByValue].offset);
  auto put_positions = [&](std::span<const uint64_t> entries) -> Status {
    for (const uint64_t e : entries) RETURN_IF_ERROR(order.AppendInt(e, h.position_width));
    return Status::Ok();
  };
  RETURN_IF_ERROR(by_value.Drain(put_positions));
  RETURN_IF_ERROR(order.Flush());
  if (order.written() != h.sections[kByValue].length) {
    return Status::FromErrno(
        EIO, "index section by_value came out " + std::to_string(order.written()) + " bytes");
  }
  h.sections[kByValue].crc = order.crc();

  // Zero the padding between sections, then the header with every CRC.
  for (int s = 1; s < kIndexSections; ++s) {
    const uint64_t end = h.sections[s - 1].offset + h.sections[s - 1].length;
    if (const uint64_t pad = h.sections[s].offset - end; pad > 0) {
      RETURN_IF_ERROR(out.WriteAt(end, "\0\0\0\0\0\0\0", pad));
    }
  }
  const std::string head = SerializeHeader(h);
  RETURN_IF_ERROR(out.WriteAt(0, head.data(), head.size()));
  if (const uint64_t pad = h.sections[0].offset - head.size(); pad > 0) {
    RETURN_IF_ERROR(out.WriteAt(head.size(), "\0\0\0\0\0\0\0", pad));
  }
  const uint64_t end = h.sections[kByValue].offset + h.sections[kByValue].length;
  ASSIGN_OR_RETURN(uint64_t size, out.Size());
  if (size > end) RETURN_IF_ERROR(out.Truncate(end));  // sections that moved up

  // The file is the header, then each section after its zero padding.
  uLong crc = Crc32(head);
  uint64_t at = head.size();
  for (const SectionSpan& span : h.sections) {
    const uint64_t pad = span.offset - at;
    crc = crc32_combine(crc, Crc32(std::string_view("\0\0\0\0\0\0\0", pad)),
                        static_cast<z_off_t>(pad));
    crc = crc32_combine(crc, span.crc, static_cast<z_off_t>(span.length));
    at = span.offset + span.length;
  }
  file_crc32_ = static_cast<uint32_t>(crc);
  return end;
}

Status CheckMappingIndex(const File& file, std::string_view name) {
  auto damaged = [&](const Status& st) { return st.Annotate(std::string(name)); };
  ASSIGN_OR_RETURN(uint64_t size, file.Size());
  std::string head(kIndexHeaderSize + kIndexSections * kTableEntry, '\0');
  ASSIGN_OR_RETURN(size_t n, file.ReadAt(0, head.data(), head.size()));
  head.resize(n);
  Result<Header> h = ParseHeader(head, size);
  if (!h.ok()) return damaged(h.status());
  std::string buf(kPiece, '\0');
  uint64_t end = head.size();
  for (int s = 0; s < kIndexSections; ++s) {
    const SectionSpan& span = h->sections[s];
    // The padding before it is zero: no byte of the file goes unchecked.
    char pad[8] = {};
    RETURN_IF_ERROR(ReadExactly(file, end, pad, span.offset - end, std::string(name)));
    if (std::string_view(pad, span.offset - end).find_first_not_of('\0') !=
        std::string_view::npos) {
      return damaged(Status::Corruption("non-zero padding before section " + std::to_string(s)));
    }
    end = span.offset + span.length;
    uint32_t crc = 0;
    for (uint64_t done = 0; done < span.length;) {
      const size_t want = static_cast<size_t>(std::min<uint64_t>(kPiece, span.length - done));
      RETURN_IF_ERROR(ReadExactly(file, span.offset + done, buf.data(), want, std::string(name)));
      crc = Crc32Update(crc, std::string_view(buf.data(), want));
      done += want;
    }
    if (crc != span.crc) {
      return damaged(Status::Corruption("section " + std::to_string(s) + " checksum mismatch"));
    }
  }
  return Status::Ok();
}

Result<std::optional<uint64_t>> LookUpIndex(std::string_view index, std::string_view id) {
  ASSIGN_OR_RETURN(Header h, ParseHeader(index, index.size()));
  auto section = [&](int s) { return index.data() + h.sections[s].offset; };
  const uint32_t hash = IndexHash(id);
  const uint64_t top = Bucket(hash, h.fanout_bits);
  uint64_t lo = GetLe(section(kFanout) + 8 * top, 8);
  const uint64_t hi = std::min(GetLe(section(kFanout) + 8 * (top + 1), 8), h.count);
  auto hash_at = [&](uint64_t i) {
    return static_cast<uint32_t>(GetLe(section(kHashes) + 4 * i, 4));
  };
  auto offset_at = [&](uint64_t i) {
    return GetLe(section(kOffsets) + i * static_cast<uint64_t>(h.offset_width), h.offset_width);
  };
  for (uint64_t count = hi > lo ? hi - lo : 0; count > 0;) {  // lower bound of `hash`
    const uint64_t step = count / 2;
    if (hash_at(lo + step) < hash) {
      lo += step + 1;
      count -= step + 1;
    } else {
      count = step;
    }
  }
  for (uint64_t i = lo; i < hi && hash_at(i) == hash; ++i) {
    const uint64_t from = offset_at(i), to = offset_at(i + 1);
    if (to < from || to > h.sections[kIds].length) return Status::Corruption("bad id offsets");
    if (std::string_view(section(kIds) + from, to - from) == id) {
      return std::optional<uint64_t>(
          GetLe(section(kValues) + i * static_cast<uint64_t>(h.value_width), h.value_width));
    }
  }
  return std::optional<uint64_t>();
}

}  // namespace scopefs::store
