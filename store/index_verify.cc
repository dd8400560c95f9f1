#include "store/index_verify.h"

#include <algorithm>
#include <cerrno>
#include <memory>
#include <optional>
#include <vector>

#include "store/chunked_gzip_reader.h"
#include "store/layout.h"
#include "store/log.h"
#include "store/mapping_index.h"
#include "store/mappings_validator.h"
#include "store/member_cache.h"

namespace scopefs::store {
namespace {

constexpr size_t kPiece = size_t{1} << 20;
// Each builder's sort buffer: two at once stay within what one commit's pair uses.
constexpr size_t kBuilderMemory = size_t{16} << 20;
// Holds the read-ahead's members (ChunkedGzipReader::kReadAheadBytes) and the current one.
constexpr size_t kMemberCacheBytes = size_t{8} << 20;
constexpr std::string_view kIndexNames[2] = {kNodesIndexFile, kLinksIndexFile};
constexpr size_t kTableEntry = 24;  // FORMAT.md: one section's offset, length, CRC, reserved
constexpr size_t kHead = kIndexHeaderSize + kIndexSections * kTableEntry;
constexpr const char* kSectionNames[kIndexSections] = {"fanout",  "hashes", "values",
                                                       "offsets", "ids",    "by_value"};

uint64_t GetLe(std::string_view bytes, size_t at, int width) {
  uint64_t v = 0;
  for (int i = width - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
  return v;
}
size_t TableEntry(int section) {
  return kIndexHeaderSize + static_cast<size_t>(section) * kTableEntry;
}

// An error from the scratch files is no damage to the scope: it must not read
// as Corruption or NotFound (which would quarantine it; Store::JudgeReadError).
Status ScratchError(const Status& st, const std::string& what) {
  if (st.code() != Status::Code::kCorruption && st.code() != Status::Code::kNotFound) return st;
  return Status::FromErrno(EIO, what + "scratch file of the index check: " + st.message());
}

// Reads a section's integers in order, through a small buffer.
class SectionReader {
 public:
  SectionReader(const File& file, uint64_t offset, uint64_t length, int width,
                const std::string& what)
      : file_(file), next_(offset), end_(offset + length), width_(width), what_(what) {}
  Result<uint64_t> Next() {
    if (at_ == buf_.size()) {
      buf_.resize(static_cast<size_t>(std::min<uint64_t>(kBuffer, end_ - next_)));
      if (buf_.empty()) return Status::Corruption(what_ + ": a section ends early");
      RETURN_IF_ERROR(ReadExactly(file_, next_, buf_.data(), buf_.size(), what_));
      next_ += buf_.size();
      at_ = 0;
    }
    const uint64_t v = GetLe(buf_, at_, width_);
    at_ += static_cast<size_t>(width_);
    return v;
  }

 private:
  static constexpr size_t kBuffer = 64 << 10;  // a multiple of 4 and 8
  const File& file_;
  uint64_t next_;
  const uint64_t end_;
  const int width_;
  const std::string& what_;
  std::string buf_;
  size_t at_ = 0;
};

// The stored fan-out, whose size the writer chose (so it need not be the
// rebuilt one's), points at each bucket's first entry of the stored hashes
// (already shown equal to the rebuilt ones). Reads both sections once.
Status CheckFanout(const File& stored, std::string_view head, const std::string& what) {
  const uint64_t count = GetLe(head, 16, 8);
  const int bits = static_cast<unsigned char>(head[35]);
  auto reader = [&](int s, int width) {
    return SectionReader(stored, GetLe(head, TableEntry(s), 8), GetLe(head, TableEntry(s) + 8, 8),
                         width, what);
  };
  SectionReader fanout = reader(0, 8), hashes = reader(1, 4);
  uint64_t entry = 0;
  std::optional<uint64_t> bucket;  // of hash `entry`, once read
  for (uint64_t b = 0; b <= (uint64_t{1} << bits); ++b) {
    while (entry < count) {
      if (!bucket) {
        ASSIGN_OR_RETURN(uint64_t hash, hashes.Next());
        bucket = hash >> (32 - bits);
      }
      if (*bucket >= b) break;
      ++entry;
      bucket.reset();
    }
    ASSIGN_OR_RETURN(uint64_t first, fanout.Next());
    if (first != entry) {
      return Status::Corruption(what + " does not match mappings.json: fan-out slot " +
                                std::to_string(b) + " says entry " + std::to_string(first) +
                                ", the hashes say " + std::to_string(entry));
    }
  }
  return Status::Ok();
}

// Corruption unless `stored` says what `rebuilt` says, naming what differs.
// Both passed CheckMappingIndex (the stored one in Scope::Verify), so each
// section's CRC in the table stands for its bytes: the tables are compared,
// not the files. Only the fan-out's size is the writer's choice (FORMAT.md);
// a stored fan-out of another size is checked against the hashes instead.
Status CompareIndexes(const File& stored, const File& rebuilt, const std::string& what) {
  std::string a(kHead, '\0'), b(kHead, '\0');
  RETURN_IF_ERROR(ReadExactly(stored, 0, a.data(), kHead, what));
  if (Status st = ReadExactly(rebuilt, 0, b.data(), kHead, "rebuilt index"); !st.ok()) {
    return ScratchError(st, what + ": ");
  }
  auto differs = [&](size_t from, size_t to) {
    return a.compare(from, to - from, b, from, to - from) != 0;
  };
  const bool same_fanout = a[35] == b[35];
  std::string list;
  auto add = [&](const std::string& field) { list += (list.empty() ? "" : ", ") + field; };
  if (differs(0, 16)) add("magic, version or hash function");
  if (differs(16, 24)) add("count");
  if (differs(24, 32)) add("total");
  if (differs(32, 35)) add("integer widths");
  if (differs(36, 60)) add("section count or reserved bytes");
  for (int s = 0; s < kIndexSections; ++s) {
    const size_t e = TableEntry(s);
    // Offsets follow from the lengths before, which include the fan-out's.
    const bool bad =
        same_fanout ? differs(e, e + kTableEntry) : s > 0 && (differs(e + 8, e + kTableEntry));
    if (bad) add(std::string("section ") + kSectionNames[s]);
  }
  if (!list.empty()) {
    return Status::Corruption(what + " does not match mappings.json: " + list +
                              " differ from the index the mappings give");
  }
  return same_fanout ? Status::Ok() : CheckFanout(stored, a, what);
}

// Removes a scratch file when it goes out of scope.
class ScratchFile {
 public:
  ScratchFile(Env* env, std::string path) : env_(env), path_(std::move(path)) {}
  ~ScratchFile() {
    if (Status st = env_->Unlink(path_); !st.ok() && st.code() != Status::Code::kNotFound) {
      LogWarning("cannot remove " + path_ + ": " + st.ToString());
    }
  }
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  Env* const env_;
  const std::string path_;
};

}  // namespace

Status VerifyScopeIndexes(Env* env, const Scope& scope, const std::string& scratch_prefix) {
  const ScopeRecord& record = scope.record();
  if (!record.nodes_idx && !record.links_idx) return Status::Ok();
  const std::string what = "scope " + scope.key() + ": ";
  ASSIGN_OR_RETURN(std::shared_ptr<const File> mappings_gz, scope.OpenStored(kMappingsGzFile));
  std::shared_ptr<const File> stored[2];
  std::unique_ptr<MappingIndexBuilder> builders[2];
  for (int s = 0; s < 2; ++s) {
    if (!(s == 0 ? record.nodes_idx : record.links_idx)) continue;
    ASSIGN_OR_RETURN(stored[s], scope.OpenStored(kIndexNames[s]));
    builders[s] = std::make_unique<MappingIndexBuilder>(
        env, scratch_prefix + (s == 0 ? ".nodes" : ".links"), kBuilderMemory);
  }

  // Decode the stored mappings once, through a reader of our own: it checks
  // every member as the commit's readers do, and leaves the shared cache alone.
  MappingsValidator validator(record.total_nodes, record.total_links);
  validator.SetEntrySink([&](int section, std::string_view id, uint64_t value) {
    return builders[section] ? builders[section]->Add(id, value) : Status::Ok();
  });
  MemberCache cache(kMemberCacheBytes);
  ChunkedGzipReader reader(mappings_gz, record.mappings_index, &cache);
  ReadAheadState ra;
  std::string buf(kPiece, '\0');
  // The stored text validated at the commit: failing now is damage.
  // Any other error of the validator is a builder's, from its scratch files.
  auto damaged = [&](const Status& st) {
    return st.code() == Status::Code::kInvalid
               ? Status::Corruption(what + "mappings.json no longer decodes: " + st.message())
               : ScratchError(st, what);
  };
  for (uint64_t offset = 0;;) {
    ASSIGN_OR_RETURN(size_t n, reader.ReadAt(offset, buf.data(), buf.size(), &ra));
    if (n == 0) break;
    if (Status st = validator.Feed(std::string_view(buf.data(), n)); !st.ok()) return damaged(st);
    offset += n;
  }
  if (Status st = validator.Finish(); !st.ok()) return damaged(st);

  const uint64_t totals[2] = {record.total_nodes, record.total_links};
  for (int s = 0; s < 2; ++s) {
    if (!builders[s]) continue;
    const std::string name = what + std::string(kIndexNames[s]);
    ScratchFile scratch(env, scratch_prefix + "." + std::string(kIndexNames[s]));
    Result<std::unique_ptr<File>> rebuilt = env->Open(scratch.path(), OpenMode::kCreate);
    if (!rebuilt.ok()) return ScratchError(rebuilt.status(), what);
    if (Status st = builders[s]->Finish(**rebuilt, totals[s]).status(); !st.ok()) {
      return ScratchError(st, what);
    }
    builders[s].reset();  // its scratch runs go before the next one's are written
    RETURN_IF_ERROR(CompareIndexes(*stored[s], **rebuilt, name));
  }
  return Status::Ok();
}

}  // namespace scopefs::store
