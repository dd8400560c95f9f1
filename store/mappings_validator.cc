#include "store/mappings_validator.h"

#include <limits>

#include "store/key.h"

namespace scopefs::store {
namespace {

constexpr size_t kKeyCap = 80;  // bytes of an id kept for error messages
constexpr const char* kSectionNames[2] = {"node_id_mapping", "link_id_mapping"};
constexpr const char* kSectionNouns[2] = {"node", "link"};

bool IsSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// REQUIRES: IsHex(c).
int HexValue(char c) { return IsDigit(c) ? c - '0' : (c | 0x20) - 'a' + 10; }

void AppendUtf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace

enum class MappingsValidator::State : uint8_t {
  kTopOpen,          // expects '{'
  kTopKeyOrClose,    // after '{': '"' or '}'
  kTopKeyStart,      // after ',': '"'
  kTopKey,           // inside a top-level key
  kTopColon,         // ':'
  kSectionOpen,      // '{' opening a section
  kIdOrClose,        // after a section's '{': '"' or '}'
  kIdStart,          // after ',': '"'
  kId,               // inside an id
  kIdColon,          // ':'
  kIndexStart,       // first character of an index
  kIndex,            // digits of an index
  kIdCommaOrClose,   // ',' or '}' after an entry
  kTopCommaOrClose,  // ',' or '}' after a section
  kDone,             // only whitespace may follow
};

MappingsValidator::MappingsValidator(std::optional<uint64_t> total_nodes,
                                     std::optional<uint64_t> total_links)
    : totals_{total_nodes, total_links}, state_(State::kTopOpen) {}

Status MappingsValidator::Fail(std::string message) {
  error_ = Status::Invalid(std::move(message));
  return error_;
}

Status MappingsValidator::UnpairedSurrogate() {
  return Fail("invalid JSON at byte " + std::to_string(offset_) +
              ": unpaired UTF-16 surrogate in a \\u escape");
}

Status MappingsValidator::Syntax(std::string_view expected) {
  return Fail("invalid JSON at byte " + std::to_string(offset_) + ": expected " +
              std::string(expected));
}

Status MappingsValidator::EndTopKey() {
  for (int s = 0; s < 2; ++s) {
    if (key_ == kSectionNames[s] && !key_truncated_) {
      if (seen_[s]) return Fail(std::string("\"") + kSectionNames[s] + "\" appears twice");
      seen_[s] = true;
      section_ = s;
      return Status::Ok();
    }
  }
  return Fail("unexpected key \"" + Printable(key_) + "\" at the top level (only " +
              kSectionNames[0] + " and " + kSectionNames[1] + " are allowed)");
}

Status MappingsValidator::EndIndex() {
  const char* noun = kSectionNouns[section_];
  if (negative_) return Fail(std::string(noun) + " index for " + QuotedId() + " is negative");
  if (const std::optional<uint64_t>& total = totals_[section_]; total && number_ >= *total) {
    return Fail(std::string(noun) + " index " + std::to_string(number_) + " for " + QuotedId() +
                " is out of range [0, " + std::to_string(*total) + ")");
  }
  if (sink_) {
    if (Status st = sink_(section_, id_, number_); !st.ok()) {
      error_ = st;  // the sink's failure stops the validator for good
      return st;
    }
  }
  SectionStats& stats = sections_[section_];
  ++stats.entries;
  if (!stats.max_index || number_ > *stats.max_index) {
    stats.max_index = number_;
    stats.max_index_id.assign(key_);  // assign: no allocation per entry once it has room
    if (key_truncated_) stats.max_index_id += "...";
  }
  return Status::Ok();
}

void MappingsValidator::AppendEscape(char c) {
  switch (c) {
    case 'b': id_ += '\b'; break;
    case 'f': id_ += '\f'; break;
    case 'n': id_ += '\n'; break;
    case 'r': id_ += '\r'; break;
    case 't': id_ += '\t'; break;
    default: id_ += c; break;  // '"', '\\', '/'
  }
}

void MappingsValidator::AppendCodeUnit(uint16_t unit) {
  // Pairing was checked as the escape was scanned.
  if (unit >= 0xD800 && unit <= 0xDBFF) {
    high_surrogate_ = unit;
  } else if (unit >= 0xDC00 && unit <= 0xDFFF) {
    AppendUtf8(0x10000 + ((uint32_t{high_surrogate_} - 0xD800) << 10) + (unit - 0xDC00), id_);
  } else {
    AppendUtf8(unit, id_);
  }
}

std::string MappingsValidator::QuotedId() const {
  return "\"" + Printable(key_) + (key_truncated_ ? "...\"" : "\"");
}

Status MappingsValidator::ScanString(std::string_view data, size_t& i, bool& closed) {
  closed = false;
  while (i < data.size()) {
    const auto c = static_cast<unsigned char>(data[i]);
    if (expect_low_surrogate_ && escape_hex_left_ == 0 && !in_escape_ && c != '\\') {
      return UnpairedSurrogate();
    }
    if (escape_hex_left_ > 0) {
      if (!IsHex(static_cast<char>(c))) return Syntax("4 hex digits after \\u");
      escape_value_ = static_cast<uint16_t>(escape_value_ << 4 | HexValue(static_cast<char>(c)));
      if (--escape_hex_left_ == 0) {
        // Strict parsers (nlohmann, serde, Go) refuse unpaired surrogates: so do we.
        const bool high = escape_value_ >= 0xD800 && escape_value_ <= 0xDBFF;
        const bool low = escape_value_ >= 0xDC00 && escape_value_ <= 0xDFFF;
        if (low != expect_low_surrogate_) return UnpairedSurrogate();
        expect_low_surrogate_ = high;
        if (sink_) AppendCodeUnit(escape_value_);
      }
    } else if (in_escape_) {
      in_escape_ = false;
      if (expect_low_surrogate_ && c != 'u') return UnpairedSurrogate();
      switch (c) {
        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't':
          if (sink_) AppendEscape(static_cast<char>(c));
          break;
        case 'u':
          escape_hex_left_ = 4;
          escape_value_ = 0;
          break;
        default: return Syntax("a valid escape after '\\'");
      }
    } else if (utf8_left_ > 0) {
      if (c < utf8_lo_ || c > utf8_hi_)
        return Fail("invalid UTF-8 at byte " + std::to_string(offset_));
      utf8_lo_ = 0x80;
      utf8_hi_ = 0xBF;
      --utf8_left_;
      if (sink_) id_ += static_cast<char>(c);
    } else if (c == '"') {
      ++i;
      ++offset_;
      closed = true;
      return Status::Ok();
    } else if (c == '\\') {
      in_escape_ = true;
    } else if (c < 0x20) {
      return Fail("invalid JSON at byte " + std::to_string(offset_) +
                  ": control character in a string");
    } else if (c >= 0x80) {
      if (c >= 0xC2 && c <= 0xDF) {
        utf8_left_ = 1;
      } else if (c >= 0xE0 && c <= 0xEF) {
        utf8_left_ = 2;
        if (c == 0xE0) utf8_lo_ = 0xA0;  // no overlong forms
        if (c == 0xED) utf8_hi_ = 0x9F;  // no surrogates
      } else if (c >= 0xF0 && c <= 0xF4) {
        utf8_left_ = 3;
        if (c == 0xF0) utf8_lo_ = 0x90;
        if (c == 0xF4) utf8_hi_ = 0x8F;  // nothing above U+10FFFF
      } else {
        return Fail("invalid UTF-8 at byte " + std::to_string(offset_));
      }
      if (sink_) id_ += static_cast<char>(c);
    } else {
      // Plain ASCII: take the whole run at once; this is the hot loop.
      size_t end = i + 1;
      while (end < data.size()) {
        const auto d = static_cast<unsigned char>(data[end]);
        if (d == '"' || d == '\\' || d < 0x20 || d >= 0x80) break;
        ++end;
      }
      if (sink_) id_.append(data.data() + i, end - i);
      size_t room = kKeyCap - key_.size();
      key_.append(data.data() + i, std::min(room, end - i));
      if (end - i > room) key_truncated_ = true;
      offset_ += end - i;
      i = end;
      continue;
    }
    if (key_.size() < kKeyCap) {
      key_ += static_cast<char>(c);
    } else {
      key_truncated_ = true;
    }
    ++i;
    ++offset_;
  }
  return Status::Ok();
}

Status MappingsValidator::Feed(std::string_view data) {
  if (!error_.ok()) return error_;
  size_t i = 0;
  while (i < data.size()) {
    const char c = data[i];
    if (state_ == State::kTopKey || state_ == State::kId) {
      bool closed = false;
      RETURN_IF_ERROR(ScanString(data, i, closed));
      if (!closed) break;
      if (state_ == State::kTopKey) {
        RETURN_IF_ERROR(EndTopKey());
        state_ = State::kTopColon;
      } else {
        state_ = State::kIdColon;
      }
      continue;
    }
    if (state_ == State::kIndex) {
      if (IsDigit(c)) {
        if (digits_ == 1 && number_ == 0) return Syntax("no leading zeros in a number");
        const auto d = static_cast<uint64_t>(c - '0');
        if (number_ > (std::numeric_limits<uint64_t>::max() - d) / 10) {
          return Fail(std::string(kSectionNouns[section_]) + " index for \"" + Printable(key_) +
                      "\" is too large");
        }
        number_ = number_ * 10 + d;
        ++digits_;
        ++i;
        ++offset_;
        continue;
      }
      if (digits_ == 0) return Syntax("a digit");
      if (c == '.' || c == 'e' || c == 'E') {
        return Fail(std::string(kSectionNouns[section_]) + " index for \"" + Printable(key_) +
                    "\" is not an integer");
      }
      RETURN_IF_ERROR(EndIndex());
      state_ = State::kIdCommaOrClose;
      continue;  // the character that ended the number is looked at again
    }
    if (IsSpace(c)) {
      ++i;
      ++offset_;
      continue;
    }
    auto begin_string = [&](State next) {
      state_ = next;
      key_.clear();
      key_truncated_ = false;
      id_.clear();
    };
    switch (state_) {
      case State::kTopOpen:
        if (c != '{') return Fail("mappings are not a JSON object (first character is not '{')");
        state_ = State::kTopKeyOrClose;
        break;
      case State::kTopKeyOrClose:
      case State::kTopKeyStart:
        if (c == '"') {
          begin_string(State::kTopKey);
        } else if (c == '}' && state_ == State::kTopKeyOrClose) {
          state_ = State::kDone;
        } else {
          return Syntax(state_ == State::kTopKeyOrClose ? "'\"' or '}'" : "'\"'");
        }
        break;
      case State::kTopColon:
        if (c != ':') return Syntax("':'");
        state_ = State::kSectionOpen;
        break;
      case State::kSectionOpen:
        if (c != '{') {
          return Fail(std::string("\"") + kSectionNames[section_] + "\" is not a JSON object");
        }
        state_ = State::kIdOrClose;
        break;
      case State::kIdOrClose:
      case State::kIdStart:
        if (c == '"') {
          begin_string(State::kId);
        } else if (c == '}' && state_ == State::kIdOrClose) {
          state_ = State::kTopCommaOrClose;
        } else {
          return Syntax(state_ == State::kIdOrClose ? "'\"' or '}'" : "'\"'");
        }
        break;
      case State::kIdColon:
        if (c != ':') return Syntax("':'");
        state_ = State::kIndexStart;
        break;
      case State::kIndexStart:
        negative_ = c == '-';
        if (!negative_ && !IsDigit(c)) {
          return Fail(std::string(kSectionNouns[section_]) + " index for \"" + Printable(key_) +
                      "\" is not an integer");
        }
        number_ = 0;
        digits_ = 0;
        state_ = State::kIndex;
        if (!negative_) continue;  // the first digit is parsed in kIndex
        break;
      case State::kIdCommaOrClose:
        if (c == ',') {
          state_ = State::kIdStart;
        } else if (c == '}') {
          state_ = State::kTopCommaOrClose;
        } else {
          return Syntax("',' or '}'");
        }
        break;
      case State::kTopCommaOrClose:
        if (c == ',') {
          state_ = State::kTopKeyStart;
        } else if (c == '}') {
          state_ = State::kDone;
        } else {
          return Syntax("',' or '}'");
        }
        break;
      case State::kDone:
        return Fail("invalid JSON at byte " + std::to_string(offset_) +
                    ": data after the end of the object");
      case State::kTopKey:
      case State::kId:
      case State::kIndex: break;  // handled above
    }
    ++i;
    ++offset_;
  }
  return Status::Ok();
}

Status MappingsValidator::Finish() {
  if (!error_.ok()) return error_;
  if (state_ != State::kDone) {
    return Fail("mappings end early at byte " + std::to_string(offset_) + " (truncated JSON)");
  }
  for (int s = 0; s < 2; ++s) {
    if (!seen_[s]) return Fail(std::string("missing \"") + kSectionNames[s] + "\"");
  }
  return Status::Ok();
}

}  // namespace scopefs::store
