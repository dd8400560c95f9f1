// SpaceBudget: how pending writes ask the cache for room.
//
// SPEC counts pending bytes against max_size: a write that would overflow the
// cache first evicts least-recently-used scopes; a write that cannot fit even
// in an empty cache fails with NoSpace (ENOSPC). The Store implements it;
// PendingFile calls it whenever a file grows or shrinks.
// Thread-safety: implementations are thread-safe.
#pragma once

#include <cstdint>

#include "store/status.h"

namespace scopefs::store {

class SpaceBudget {
 public:
  virtual ~SpaceBudget() = default;
  // Takes `bytes` more for pending data, evicting to make room; NoSpace if it cannot.
  virtual Status Reserve(uint64_t bytes) = 0;
  // Gives back what Reserve took (a file shrank, was removed, or was committed).
  virtual void Release(uint64_t bytes) = 0;
};

}  // namespace scopefs::store
