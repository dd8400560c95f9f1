// MappingsValidator: checks a mappings JSON text fed in pieces, in bounded memory.
//
// The text must be exactly `{"node_id_mapping": {"<id>": <index>, ...},
// "link_id_mapping": {...}}` (any order, any JSON whitespace, strict JSON
// strings with escapes and UTF-8), every index a non-negative integer and,
// when a total is known, below it. It is push-based so the same bytes can go to
// the compressor and the validator in one pass, whether they arrive from FUSE
// writes or from inflating a .gz. Memory is a few hundred bytes whatever the size.
//
// Errors are Status::Invalid with one line fit for `.status`, e.g.
// `node index 12 for "n:abc" is out of range [0, 10)` or
// `invalid JSON at byte 1834: expected ':'`. After an error, Feed keeps returning it.
//
// Thread-safety: not thread-safe; one owner feeds it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "store/status.h"

namespace scopefs::store {

class MappingsValidator {
 public:
  struct SectionStats {
    uint64_t entries = 0;
    std::optional<uint64_t> max_index;  // empty when the section has no entries
    std::string max_index_id;           // its id, capped (then ending "..."), for messages
  };

  // Indices at or above a given total are refused as they stream by; without
  // one, compare the sections' max_index with the total after Finish.
  MappingsValidator(std::optional<uint64_t> total_nodes, std::optional<uint64_t> total_links);

  // Called with each entry as it completes: section 0 (nodes) or 1 (links),
  // the id decoded as json.loads decodes it (escapes resolved, UTF-8), and
  // its index. Its error stops the validator. Set it before the first Feed.
  using EntrySink = std::function<Status(int section, std::string_view id, uint64_t index)>;
  void SetEntrySink(EntrySink sink) { sink_ = std::move(sink); }

  Status Feed(std::string_view data);
  // The text is complete: checks that it ended properly and has both sections.
  Status Finish();

  const SectionStats& nodes() const { return sections_[0]; }
  const SectionStats& links() const { return sections_[1]; }
  uint64_t bytes() const { return offset_; }

 private:
  enum class State : uint8_t;

  Status Fail(std::string message);
  Status Syntax(std::string_view expected);
  Status UnpairedSurrogate();
  Status EndTopKey();
  Status EndIndex();
  std::string QuotedId() const;        // the current id, for messages
  void AppendEscape(char c);           // decodes a one-character escape into id_
  void AppendCodeUnit(uint16_t unit);  // decodes a \u escape into id_
  // Consumes string bytes from data[i]; returns false at the closing quote.
  Status ScanString(std::string_view data, size_t& i, bool& closed);

  std::optional<uint64_t> totals_[2];
  SectionStats sections_[2];
  bool seen_[2] = {false, false};

  State state_;
  Status error_;
  uint64_t offset_ = 0;  // bytes consumed so far, for messages
  int section_ = -1;     // 0 nodes, 1 links, while inside one
  std::string key_;      // the current key, capped for messages
  bool key_truncated_ = false;
  // String escape and UTF-8 state, carried across Feed calls.
  uint8_t escape_hex_left_ = 0;  // hex digits still expected after \u
  bool in_escape_ = false;
  uint16_t escape_value_ = 0;                // the \u escape's code unit so far
  bool expect_low_surrogate_ = false;        // a high surrogate must be followed by \uDC00-\uDFFF
  uint8_t utf8_left_ = 0;                    // continuation bytes still expected
  uint8_t utf8_lo_ = 0x80, utf8_hi_ = 0xBF;  // bounds for the next continuation byte
  // The current id, decoded, in full; kept only with a sink.
  EntrySink sink_;
  std::string id_;
  uint16_t high_surrogate_ = 0;  // a \uD800-\uDBFF waiting for its low half
  // Number state.
  uint64_t number_ = 0;
  uint32_t digits_ = 0;
  bool negative_ = false;
};

}  // namespace scopefs::store
