#include "store/s3/file_digest.h"

#include <vector>

#include "store/s3/sha256.h"

namespace scopefs::s3 {

store::Result<FileDigest> DigestFile(const store::File& file) {
  constexpr size_t kChunk = size_t{1} << 20;
  std::vector<char> buffer(kChunk);
  Sha256Hasher hasher;
  FileDigest digest;
  while (true) {
    ASSIGN_OR_RETURN(const size_t n, file.ReadAt(digest.size, buffer.data(), buffer.size()));
    if (n == 0) break;
    hasher.Update(std::string_view(buffer.data(), n));
    digest.size += n;
  }
  digest.sha256 = hasher.FinishHex();
  return digest;
}

}  // namespace scopefs::s3
