// InodeTable: FUSE inode numbers and the kernel's lookup counts.
//
// Numbers are never reused (a 64-bit counter), so a stale inode can never be
// mistaken for a new one. A node is found again by its identity (see
// filesystem.cc) while the kernel remembers it, and dropped when the kernel
// forgets it (nlookup reaches 0); open handles keep their node alive.
// Thread-safety: Get() is a concurrent-map find (no global lock on the read
// path); Lookup() and Forget() serialize on mu_, held for no I/O.
#pragma once

#include <fuse_lowlevel.h>
#include <oneapi/tbb/concurrent_hash_map.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "fs/node.h"
#include "store/mutex.h"

namespace scopefs::fs {

class InodeTable {
 public:
  InodeTable();

  // The node, or nullptr if the kernel has forgotten it.
  std::shared_ptr<Node> Get(fuse_ino_t ino) const;

  // The node with `identity` if it exists and `still_valid` accepts it, else a
  // new one made by `make` (given its fresh number). Counts one kernel lookup.
  std::shared_ptr<Node> Lookup(const std::string& identity,
                               const std::function<bool(const Node&)>& still_valid,
                               const std::function<std::shared_ptr<Node>(fuse_ino_t)>& make);
  // The node known by `old_identity` is known by `new_identity` from now on
  // (a renamed scope directory); any node `new_identity` named before is not.
  void Rekey(const std::string& old_identity, const std::string& new_identity);
  // The node known by `identity`, or nullptr; counts nothing.
  std::shared_ptr<Node> FindByIdentity(const std::string& identity);
  // Undoes `n` lookups; the node is dropped at zero.
  void Forget(fuse_ino_t ino, uint64_t n);

  // The nodes whose identity starts with `prefix` (a snapshot).
  std::vector<std::shared_ptr<Node>> WithIdentityPrefix(std::string_view prefix);

  size_t size() const { return nodes_.size(); }

 private:
  using NodeMap = tbb::concurrent_hash_map<fuse_ino_t, std::shared_ptr<Node>>;

  void AddStatic(std::shared_ptr<Node> node);

  NodeMap nodes_;
  std::atomic<fuse_ino_t> next_ino_{kFirstDynamicIno};
  store::Mutex mu_;  // also guards Node::lookups
  std::unordered_map<std::string, fuse_ino_t> by_identity_ GUARDED_BY(mu_);
  std::unordered_map<fuse_ino_t, std::string> identity_of_ GUARDED_BY(mu_);
};

}  // namespace scopefs::fs
