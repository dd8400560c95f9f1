#include "tests/fuzz/fuzz_targets.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "store/chunked_gzip_reader.h"
#include "store/chunked_gzip_writer.h"
#include "store/crc32.h"
#include "store/gzip_stream.h"
#include "store/input_meta.h"
#include "store/key.h"
#include "store/mapping_index.h"
#include "store/mappings_validator.h"
#include "store/member_cache.h"

namespace scopefs::fuzz {
namespace {

// A property the parser broke: say which and abort, so the fuzzer keeps the input.
[[noreturn]] void Violated(const char* what) {
  std::fprintf(stderr, "fuzz property violated: %s\n", what);
  std::abort();
}

void Expect(bool ok, const char* what) {
  if (!ok) Violated(what);
}

// A File over bytes in memory.
class StringFile final : public store::File {
 public:
  explicit StringFile(std::string bytes) : bytes_(std::move(bytes)) {}
  store::Result<size_t> ReadAt(uint64_t offset, char* buf, size_t n) const override {
    if (offset >= bytes_.size()) return size_t{0};
    const size_t got = std::min<size_t>(n, bytes_.size() - offset);
    bytes_.copy(buf, got, offset);
    return got;
  }
  store::Status WriteAt(uint64_t offset, const char* data, size_t n) override {
    if (bytes_.size() < offset + n) bytes_.resize(offset + n);
    bytes_.replace(offset, n, data, n);
    return store::Status::Ok();
  }
  store::Status Truncate(uint64_t size) override {
    bytes_.resize(size);
    return store::Status::Ok();
  }
  store::Status Sync() override { return store::Status::Ok(); }
  store::Result<uint64_t> Size() const override { return uint64_t{bytes_.size()}; }
  std::string& bytes() { return bytes_; }

 private:
  std::string bytes_;
};

// A committed mappings file: the JSON, its stored multi-member gzip and index.
struct Stored {
  std::string json;
  std::string gz;
  store::GzipIndex index;
};

const Stored& StoredMappings() {
  static const Stored* stored = [] {
    auto* s = new Stored;
    s->json = "{\"node_id_mapping\":{";
    for (int i = 0; i < 3000; ++i)
      s->json += (i ? ",\"n" : "\"n") + std::to_string(i) + "\":" + std::to_string(i);
    s->json += "},\"link_id_mapping\":{\"a->b\":0}}";
    StringFile out("");
    store::ChunkedGzipOptions options;
    options.chunk_size = 4096;  // a dozen members
    store::ChunkedGzipWriter writer(&out, options);
    Expect(writer.Append(s->json).ok(), "writing the stored mappings");
    store::Result<store::GzipIndex> index = writer.Finish();
    Expect(index.ok(), "finishing the stored mappings");
    s->index = *index;
    s->gz = out.bytes();
    return s;
  }();
  return *stored;
}

// An index file's fields, as FORMAT.md lays them out, read without checks.
uint64_t Le(std::string_view bytes, uint64_t at, int width) {
  uint64_t v = 0;
  for (int i = width - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
  return v;
}
constexpr size_t kIndexHead = store::kIndexHeaderSize + store::kIndexSections * 24;
uint64_t SectionOffset(std::string_view f, int s) { return Le(f, 64 + 24 * s, 8); }
uint64_t SectionLength(std::string_view f, int s) { return Le(f, 64 + 24 * s + 8, 8); }

// `bytes` with every CRC its section table names recomputed (for the sections
// that lie inside it), then the header's.
std::string WithFixedCrcs(std::string bytes) {
  if (bytes.size() < kIndexHead) return bytes;
  auto put32 = [&](size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) bytes[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
  };
  for (int s = 0; s < store::kIndexSections; ++s) {
    const uint64_t offset = SectionOffset(bytes, s), length = SectionLength(bytes, s);
    if (offset > bytes.size() || length > bytes.size() - offset) continue;
    put32(64 + 24 * s + 16, store::Crc32(std::string_view(bytes).substr(offset, length)));
  }
  put32(60, store::Crc32Update(store::Crc32(std::string_view(bytes).substr(0, 60)),
                               std::string_view(bytes).substr(64, kIndexHead - 64)));
  return bytes;
}

// A file that passed CheckMappingIndex, read entry by entry with no lookup structure.
class ScannedIndex {
 public:
  explicit ScannedIndex(std::string_view f)
      : f_(f),
        count_(Le(f, 16, 8)),
        value_width_(static_cast<unsigned char>(f[32])),
        offset_width_(static_cast<unsigned char>(f[33])),
        fanout_bits_(static_cast<unsigned char>(f[35])) {}

  uint64_t count() const { return count_; }
  uint32_t hash(uint64_t i) const { return static_cast<uint32_t>(Le(f_, Section(1) + 4 * i, 4)); }
  uint64_t value(uint64_t i) const { return Le(f_, Section(2) + i * value_width_, value_width_); }
  uint64_t offset(uint64_t i) const {
    return Le(f_, Section(3) + i * offset_width_, offset_width_);
  }
  // Entry i's id, or nullopt if its offsets do not make one.
  std::optional<std::string_view> id(uint64_t i) const {
    const uint64_t from = offset(i), to = offset(i + 1);
    if (from > to || to > SectionLength(f_, 4)) return std::nullopt;
    return f_.substr(Section(4) + from, to - from);
  }
  // The values of the entries whose id is `id`.
  std::vector<uint64_t> ValuesOf(std::string_view id) const {
    std::vector<uint64_t> out;
    for (uint64_t i = 0; i < count_; ++i) {
      if (this->id(i) == id) out.push_back(value(i));
    }
    return out;
  }
  // As a writer makes it: ids whose offsets run from 0 to the ids' end, each
  // hashed right, hashes ascending, and the fan-out pointing at each bucket's first.
  bool WellFormed() const {
    if (offset(0) != 0 || offset(count_) != SectionLength(f_, 4)) return false;
    uint64_t entry = 0;
    for (uint64_t b = 0; b <= (uint64_t{1} << fanout_bits_); ++b) {
      while (entry < count_ && (uint64_t{hash(entry)} >> (32 - fanout_bits_)) < b) ++entry;
      if (Le(f_, Section(0) + 8 * b, 8) != entry) return false;
    }
    for (uint64_t i = 0; i < count_; ++i) {
      const std::optional<std::string_view> id = this->id(i);
      if (!id || store::IndexHash(*id) != hash(i)) return false;
      if (i > 0 && hash(i - 1) > hash(i)) return false;
    }
    return true;
  }

 private:
  uint64_t Section(int s) const { return SectionOffset(f_, s); }

  std::string_view f_;
  uint64_t count_;
  int value_width_, offset_width_, fanout_bits_;
};

}  // namespace

int FuzzInputMeta(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  store::Result<store::InputMeta> meta = store::ParseInputMeta(text);
  if (!meta.ok()) return 0;
  Expect(size <= (size_t{1} << 20), "accepted meta.json over 1 MiB");
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  Expect(doc.is_object(), "accepted meta.json that is not a JSON object");
  for (const char* total : {"total_nodes", "total_links"}) {
    const std::optional<uint64_t>& ours = total[6] == 'n' ? meta->total_nodes : meta->total_links;
    auto it = doc.find(total);
    Expect(ours.has_value() == (it != doc.end()), "a total appeared or vanished");
    // (-0 is a JSON integer equal to 0: nlohmann keeps it signed.)
    const bool same = it != doc.end() && it->is_number_integer() &&
                      (it->is_number_unsigned() ? it->get<uint64_t>() == *ours
                                                : it->get<int64_t>() == 0 && *ours == 0);
    if (ours) Expect(same, "a total read differently");
  }
  Expect(meta->config_attributes.is_object(), "config_attributes not an object");
  return 0;
}

int FuzzMappings(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t piece = data[0] % 64 + 1;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  store::MappingsValidator validator(std::nullopt, std::nullopt);
  store::Status st;
  for (size_t at = 0; st.ok() && at < text.size(); at += piece)
    st = validator.Feed(text.substr(at, piece));
  if (st.ok()) st = validator.Finish();
  if (!st.ok()) return 0;
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  Expect(doc.is_object() && doc.size() == 2, "accepted mappings that are not a two-key object");
  const store::MappingsValidator::SectionStats* stats[] = {&validator.nodes(), &validator.links()};
  const char* names[] = {"node_id_mapping", "link_id_mapping"};
  for (int s = 0; s < 2; ++s) {
    auto section = doc.find(names[s]);
    Expect(section != doc.end() && section->is_object(), "accepted mappings without a section");
    std::optional<uint64_t> max;
    for (const auto& [id, index] : section->items()) {
      Expect(index.is_number_unsigned(), "accepted an index that is not a non-negative integer");
      max = std::max(max.value_or(0), index.get<uint64_t>());
    }
    // nlohmann keeps one of duplicate ids; the validator counts every entry.
    Expect(stats[s]->entries >= section->size(), "miscounted entries");
    Expect(stats[s]->max_index == max || stats[s]->entries > section->size(), "wrong max_index");
  }
  return 0;
}

int FuzzGzipReader(const uint8_t* data, size_t size) {
  if (size > 0 && data[0] == 'S') {
    auto in = StringFile(std::string(reinterpret_cast<const char*>(data + 1), size - 1));
    uint64_t out = 0;
    constexpr uint64_t kMax = uint64_t{1} << 20;
    store::Status st = store::InflateGzipStream(in, kMax, [&](std::string_view piece) {
      Expect(!piece.empty() && piece.size() <= (size_t{256} << 10), "a piece of the wrong size");
      out += piece.size();
      return store::Status::Ok();
    });
    Expect(!st.ok() || out <= kMax, "inflated past the limit");
    return 0;
  }
  // The input is a list of (offset: 3 bytes, xor: 1 byte) changes to the stored file.
  const Stored& stored = StoredMappings();
  std::string gz = stored.gz;
  for (size_t i = 0; i + 4 <= size; i += 4) {
    const size_t at = (size_t{data[i]} << 16 | size_t{data[i + 1]} << 8 | data[i + 2]) % gz.size();
    gz[at] = static_cast<char>(gz[at] ^ data[i + 3]);
  }
  store::MemberCache cache(size_t{1} << 20);
  store::ChunkedGzipReader reader(std::make_shared<StringFile>(gz), stored.index, &cache);
  std::string got(stored.json.size(), '\0');
  // Reads of a few sizes and offsets, each all-or-error.
  for (size_t step : {stored.json.size(), size_t{1000}, size_t{4096}}) {
    for (size_t at = 0; at < stored.json.size(); at += step) {
      store::Result<size_t> n =
          reader.ReadAt(at, got.data(), std::min(step, stored.json.size() - at));
      if (!n.ok()) continue;
      Expect(std::string_view(got.data(), *n) == std::string_view(stored.json).substr(at, *n),
             "served bytes that were never committed");
    }
  }
  return 0;
}

int FuzzMappingIndex(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  if (!bytes.empty() && bytes[0] == 'F') bytes = WithFixedCrcs(bytes.substr(1));
  const std::string_view file(bytes);
  const store::Status checked = store::CheckMappingIndex(StringFile(bytes), "x.idx");
  Expect(checked.ok() || checked.code() == store::Status::Code::kCorruption,
         "CheckMappingIndex failed with something other than Corruption");
  std::vector<std::string> ids = {"",         "a",        "n:91b72265b1f5",
                                  "plumless", "buckeroo", std::string(file.substr(0, 9))};
  std::optional<ScannedIndex> scanned;
  bool well_formed = false;
  if (checked.ok()) {
    scanned.emplace(file);
    well_formed = scanned->WellFormed();
    for (uint64_t i = 0; i < std::min<uint64_t>(scanned->count(), 64); ++i) {
      if (std::optional<std::string_view> id = scanned->id(i)) {
        ids.emplace_back(*id);
        ids.push_back(std::string(*id) + "x");  // absent, most likely
      }
    }
  }
  for (const std::string& id : ids) {
    store::Result<std::optional<uint64_t>> got = store::LookUpIndex(file, id);
    Expect(got.ok() || got.status().code() == store::Status::Code::kCorruption,
           "LookUpIndex failed with something other than Corruption");
    if (!checked.ok()) continue;
    Expect(got.ok() || !well_formed, "LookUpIndex refused a well-formed index");
    if (!got.ok()) continue;
    const std::vector<uint64_t> values = scanned->ValuesOf(id);
    if (*got) {
      Expect(std::find(values.begin(), values.end(), **got) != values.end(),
             "LookUpIndex answered with a value no entry of that id has");
    } else {
      Expect(values.empty() || !well_formed, "LookUpIndex missed an id of a well-formed index");
    }
  }
  return 0;
}

int FuzzKey(const uint8_t* data, size_t size) {
  const std::string_view key(reinterpret_cast<const char*>(data), size);
  bool valid = size >= 1 && size <= 200 && key[0] != '.';
  for (char c : key) {
    valid = valid && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-');
  }
  Expect(store::ValidateKey(key).ok() == valid, "ValidateKey disagrees with the key grammar");
  return 0;
}

}  // namespace scopefs::fuzz
