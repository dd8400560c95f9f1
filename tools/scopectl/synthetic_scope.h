// SyntheticScope: the deterministic content of a scope that `scopectl gen` writes.
//
// Everything is a pure function of Params, so a test or benchmark can regenerate the
// same bytes anywhere. The scheme (also in `scopectl gen --help`):
//   node i   "<prefix><12 lowercase hex digits>": the digits are P(i), P a seed-keyed
//            permutation of [0, 2^48), so distinct nodes have distinct ids.
//   link j   "<node a>-><node b>": (a, b) is the j-th element of a seed-keyed
//            permutation of the N*(N-1) ordered pairs of distinct nodes, so links are
//            distinct, never self-loops, and spread over the whole graph.
//   index    node i has index i and link j index j, in file order: a scope built by
//            enumerating a query's rows looks like that.
//   bits     bit i is set when a seed-keyed hash of i falls below `coverage`.
//
// Thread-safety: immutable after Create; const methods are safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "store/status.h"

namespace scopefs::tools {

// A seed-keyed permutation of [0, domain): a 4-round Feistel network over the
// smallest even bit width that holds the domain, cycle-walked back into it.
class KeyedPermutation {
 public:
  // REQUIRES: domain >= 1.
  KeyedPermutation(uint64_t domain, uint64_t key);

  // REQUIRES: x < domain.
  uint64_t operator()(uint64_t x) const;

 private:
  uint64_t Feistel(uint64_t x) const;

  uint64_t domain_;
  unsigned half_bits_;
  uint64_t half_mask_;
  uint64_t round_keys_[4];
};

class SyntheticScope {
 public:
  // N*(N-1) must fit in 64 bits.
  static constexpr uint64_t kMaxNodes = uint64_t{1} << 32;
  static constexpr size_t kMaxPrefixLength = 64;
  // Room for the longest link id.
  static constexpr size_t kMaxIdLength = 2 * (kMaxPrefixLength + 12) + 2;

  struct Params {
    uint64_t seed = 1;
    uint64_t nodes = 0;
    uint64_t links = 0;
    double coverage = 0.5;
    std::string key_prefix = "n:";
  };

  // Invalid when nodes > kMaxNodes, links > nodes*(nodes-1), coverage is outside [0, 1],
  // or key_prefix is longer than kMaxPrefixLength or holds anything but printable
  // ASCII other than '"' and '\' (so ids never need JSON escaping).
  static store::Result<SyntheticScope> Create(Params params);

  const Params& params() const { return params_; }

  // Writes node i's id (no quotes) to `out` and returns its length.
  // REQUIRES: i < nodes; `out` holds kMaxIdLength bytes.
  size_t NodeId(uint64_t i, char* out) const;
  // Writes link j's id (no quotes) to `out` and returns its length.
  // REQUIRES: j < links; `out` holds kMaxIdLength bytes.
  size_t LinkId(uint64_t j, char* out) const;
  // The nodes (a, b) that link j connects, a != b. REQUIRES: j < links.
  std::pair<uint64_t, uint64_t> LinkEnds(uint64_t j) const;

  bool NodeBit(uint64_t i) const { return Covered(node_bit_key_, i); }
  bool LinkBit(uint64_t j) const { return Covered(link_bit_key_, j); }

  // meta.json, compact: total_nodes, total_links and config_attributes recording
  // the generator and its parameters.
  std::string MetaJson() const;

 private:
  explicit SyntheticScope(Params params);
  bool Covered(uint64_t key, uint64_t i) const;

  Params params_;
  KeyedPermutation node_ids_;
  KeyedPermutation link_pairs_;
  uint64_t node_bit_key_;
  uint64_t link_bit_key_;
  bool all_covered_;
  uint64_t coverage_threshold_;  // a hash below this sets the bit
};

}  // namespace scopefs::tools
