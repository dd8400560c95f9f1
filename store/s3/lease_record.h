// LeaseRecord: the JSON body of a computation lease object in the bucket
// (PREFIX/leases/KEY.json, docs/SHARED.md "Leases").
//
//   {"format":1,"key":"KEY","id":"<32 hex>","holder":"host:pid","expires_ns":N}
//
// A lease comes from the network: ParseLeaseRecord accepts only what
// SerializeLeaseRecord writes (format 1, the key asked for, a hex id, a
// printable holder of at most 256 bytes, an integer expiry) and refuses
// anything else with Corruption naming what is wrong.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "store/shared_tier.h"
#include "store/status.h"

namespace scopefs::s3 {

inline constexpr int kLeaseFormat = 1;

std::string SerializeLeaseRecord(const store::SharedLease& lease);
// `text` as the lease on `key`; Corruption if it is anything else.
store::Result<store::SharedLease> ParseLeaseRecord(std::string_view text, std::string_view key);

}  // namespace scopefs::s3
