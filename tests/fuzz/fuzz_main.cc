// libFuzzer's entry point for one target, chosen at build time by
// SCOPEFS_FUZZ_TARGET (an index into kFuzzTargets; see tools/fuzz.sh).
#include "tests/fuzz/fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return scopefs::fuzz::kFuzzTargets[SCOPEFS_FUZZ_TARGET].run(data, size);
}
