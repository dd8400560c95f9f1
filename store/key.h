// Scope keys: the names of scope directories.
//
// A key is 1–200 bytes of [A-Za-z0-9._-] and does not start with '.' (names
// starting with '.' are reserved for the control directory and temp files).
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "store/status.h"

namespace scopefs::store {

inline constexpr size_t kMaxKeyLength = 200;

// OK, or Invalid with a one-line reason that quotes the key printably.
Status ValidateKey(std::string_view key);

// The bytes of `s` with anything outside printable ASCII as \xNN, capped at
// `max_len` bytes of input: safe to put in a log line or an error message.
std::string Printable(std::string_view s, size_t max_len = 64);

}  // namespace scopefs::store
