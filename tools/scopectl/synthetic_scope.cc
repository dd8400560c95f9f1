#include "tools/scopectl/synthetic_scope.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>

namespace scopefs::tools {
namespace {

// Arbitrary odd constants that keep the streams derived from one seed independent.
constexpr uint64_t kNodeIdSalt = 0x6e6f64652d696473;    // "node-ids"
constexpr uint64_t kLinkPairSalt = 0x6c696e6b2d707273;  // "link-prs"
constexpr uint64_t kNodeBitSalt = 0x6e6f64652d626974;   // "node-bit"
constexpr uint64_t kLinkBitSalt = 0x6c696e6b2d626974;   // "link-bit"
constexpr uint64_t kGolden = 0x9e3779b97f4a7c15;

// splitmix64's finalizer: a cheap bijective mix whose output bits all depend on the input.
uint64_t Mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9;
  x ^= x >> 27;
  x *= 0x94d049bb133111eb;
  x ^= x >> 31;
  return x;
}

// 0.5 → "0.5", 1 → "1.0", 1e-05 → "1e-05": what Python's json.dumps writes for a float.
std::string PythonFloat(double value) {
  char buf[64];
  bool small = value != 0 && std::fabs(value) < 1e-4;
  auto format = small ? std::chars_format::scientific : std::chars_format::fixed;
  char* end = std::to_chars(buf, buf + sizeof(buf), value, format).ptr;
  std::string text(buf, end);
  if (text.find_first_of(".e") == std::string::npos) text += ".0";
  return text;
}

}  // namespace

KeyedPermutation::KeyedPermutation(uint64_t domain, uint64_t key) : domain_(domain) {
  auto bits = static_cast<unsigned>(std::bit_width(domain - 1));
  half_bits_ = std::max(1u, (bits + 1) / 2);
  half_mask_ = (uint64_t{1} << half_bits_) - 1;
  for (uint64_t r = 0; r < 4; ++r) round_keys_[r] = Mix64(key + (r + 1) * kGolden);
}

uint64_t KeyedPermutation::Feistel(uint64_t x) const {
  uint64_t left = x >> half_bits_;
  uint64_t right = x & half_mask_;
  for (uint64_t round_key : round_keys_) {
    uint64_t next_right = left ^ (Mix64(right ^ round_key) & half_mask_);
    left = right;
    right = next_right;
  }
  return (left << half_bits_) | right;
}

uint64_t KeyedPermutation::operator()(uint64_t x) const {
  // Cycle walking: the Feistel network permutes [0, 2^(2*half_bits)) ⊇ [0, domain), and
  // following x's cycle until it re-enters the domain permutes the domain. The wider
  // range is less than 4x the domain, so this takes under 4 steps on average.
  do {
    x = Feistel(x);
  } while (x >= domain_);
  return x;
}

store::Result<SyntheticScope> SyntheticScope::Create(Params params) {
  if (params.nodes > kMaxNodes) {
    return store::Status::Invalid("--nodes " + std::to_string(params.nodes) +
                                  " exceeds the limit " + std::to_string(kMaxNodes));
  }
  uint64_t max_links = params.nodes == 0 ? 0 : params.nodes * (params.nodes - 1);
  if (params.links > max_links) {
    return store::Status::Invalid("--links " + std::to_string(params.links) + " is more than the " +
                                  std::to_string(max_links) +
                                  " distinct links (ordered pairs of distinct nodes) that " +
                                  std::to_string(params.nodes) + " nodes allow");
  }
  if (!(params.coverage >= 0 && params.coverage <= 1)) {
    return store::Status::Invalid("--coverage must be between 0 and 1");
  }
  if (params.key_prefix.size() > kMaxPrefixLength) {
    return store::Status::Invalid("--key-prefix is longer than " +
                                  std::to_string(kMaxPrefixLength) + " bytes");
  }
  for (char c : params.key_prefix) {
    if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
      return store::Status::Invalid(
          "--key-prefix may hold only printable ASCII characters other than '\"' and '\\'");
    }
  }
  return SyntheticScope(std::move(params));
}

SyntheticScope::SyntheticScope(Params params)
    : params_(std::move(params)),
      node_ids_(uint64_t{1} << 48, Mix64(params_.seed ^ kNodeIdSalt)),
      link_pairs_(std::max<uint64_t>(1, params_.nodes * (params_.nodes - 1)),
                  Mix64(params_.seed ^ kLinkPairSalt)),
      node_bit_key_(Mix64(params_.seed ^ kNodeBitSalt)),
      link_bit_key_(Mix64(params_.seed ^ kLinkBitSalt)),
      all_covered_(params_.coverage >= 1),
      coverage_threshold_(all_covered_ ? 0
                                       : static_cast<uint64_t>(std::ldexp(params_.coverage, 64))) {}

size_t SyntheticScope::NodeId(uint64_t i, char* out) const {
  static constexpr char kHex[] = "0123456789abcdef";
  const std::string& prefix = params_.key_prefix;
  std::memcpy(out, prefix.data(), prefix.size());
  char* hex = out + prefix.size();
  uint64_t id = node_ids_(i);
  for (int d = 11; d >= 0; --d) {
    hex[d] = kHex[id & 0xf];
    id >>= 4;
  }
  return prefix.size() + 12;
}

std::pair<uint64_t, uint64_t> SyntheticScope::LinkEnds(uint64_t j) const {
  // Pair q numbers (a, b) row by row, skipping the diagonal a == b.
  uint64_t others = params_.nodes - 1;
  uint64_t q = link_pairs_(j);
  uint64_t a = q / others;
  uint64_t b = q % others;
  return {a, b < a ? b : b + 1};
}

size_t SyntheticScope::LinkId(uint64_t j, char* out) const {
  auto [a, b] = LinkEnds(j);
  size_t n = NodeId(a, out);
  out[n++] = '-';
  out[n++] = '>';
  return n + NodeId(b, out + n);
}

bool SyntheticScope::Covered(uint64_t key, uint64_t i) const {
  return all_covered_ || Mix64(key + i * kGolden) < coverage_threshold_;
}

std::string SyntheticScope::MetaJson() const {
  return "{\"total_nodes\":" + std::to_string(params_.nodes) +
         ",\"total_links\":" + std::to_string(params_.links) +
         ",\"config_attributes\":{\"generator\":\"scopectl gen\",\"seed\":" +
         std::to_string(params_.seed) + ",\"coverage\":" + PythonFloat(params_.coverage) +
         ",\"key_prefix\":\"" + params_.key_prefix + "\"}}";
}

}  // namespace scopefs::tools
