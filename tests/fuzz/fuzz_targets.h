// The parsers' fuzz targets: each takes arbitrary bytes, must neither crash nor
// leak, and checks a property of its parser; a violated property aborts.
//
// Built two ways: with clang's libFuzzer (fuzz_main.cc, tools/fuzz.sh), and
// into the unit tests, which replay every saved input under tests/fuzz/corpus/
// (seeds and the crashers fuzzing found) so a fixed bug stays fixed.
// Thread-safety: each call is independent.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace scopefs::fuzz {

// store::ParseInputMeta: an accepted meta.json is an object of at most 1 MiB
// whose totals nlohmann reads back the same.
int FuzzInputMeta(const uint8_t* data, size_t size);
// store::MappingsValidator, fed in pieces whose size the first byte picks: an
// accepted text is JSON of exactly the mappings' shape, counted right.
int FuzzMappings(const uint8_t* data, size_t size);
// store::ChunkedGzipReader over a stored mappings file with bytes changed as
// the input says: every read returns the committed bytes or an error, never
// other bytes. Inputs starting with 'S' instead stream the rest through
// InflateGzipStream (the import path): bounded output, no crash.
int FuzzGzipReader(const uint8_t* data, size_t size);
// store::CheckMappingIndex and store::LookUpIndex on an index file: each gives
// an answer or a clean Corruption, never a crash; a file that passes the
// check is read the same by both, and a lookup answers only with the value of
// an entry whose id is the one asked for (found by a plain scan), and finds
// every id of a well-formed file. Inputs starting with 'F' are the rest with
// every CRC the table names recomputed, so fuzzing reaches the sections' contents.
int FuzzMappingIndex(const uint8_t* data, size_t size);
// store::ValidateKey accepts exactly 1-200 bytes of [A-Za-z0-9._-] not starting with '.'.
int FuzzKey(const uint8_t* data, size_t size);

struct FuzzTarget {
  std::string_view name;
  int (*run)(const uint8_t* data, size_t size);
};
inline constexpr FuzzTarget kFuzzTargets[] = {
    {"input_meta", FuzzInputMeta},       {"mappings", FuzzMappings},
    {"gzip_reader", FuzzGzipReader},     {"key", FuzzKey},
    {"mapping_index", FuzzMappingIndex},
};

}  // namespace scopefs::fuzz
