// Sizes and durations as people write them on command lines and in fstab.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>

#include "store/status.h"

namespace scopefs::store {

// Plain decimal digits; Invalid (naming `what`) otherwise or on overflow.
Result<uint64_t> ParseNumber(const std::string& text, const std::string& what);
// Bytes: digits with an optional K, M, G or T suffix (powers of 1024).
Result<uint64_t> ParseSize(const std::string& text);
// Seconds: digits with an optional s, m, h or d suffix ("0" is zero).
Result<int64_t> ParseDuration(const std::string& text);

}  // namespace scopefs::store
