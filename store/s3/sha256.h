// SHA-256 and HMAC-SHA256 over OpenSSL's libcrypto, as SigV4 and S3 use them.
//
// Sha256Hex hashes a whole buffer, Sha256Hasher hashes bytes fed piece by piece
// (a file range read in chunks), HmacSha256 returns raw bytes (the SigV4 key
// chain feeds one MAC into the next). Hex is lowercase, as SigV4 requires.
//
// Errors: none to report; OpenSSL fails here only when it cannot allocate,
// which throws std::bad_alloc.
// Thread-safety: the free functions are thread-safe; a Sha256Hasher is owned by
// one thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace scopefs::s3 {

// The SHA-256 of the empty string, the payload hash of a request with no body.
inline constexpr std::string_view kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::string Sha256Hex(std::string_view data);
// The 32 raw bytes of HMAC-SHA256(key, data).
std::string HmacSha256(std::string_view key, std::string_view data);
// Lowercase hex of arbitrary bytes.
std::string HexEncode(std::string_view bytes);

class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;

  void Update(std::string_view data);
  // The hex digest of everything fed so far. REQUIRES: called once, last.
  std::string FinishHex();

 private:
  struct CtxFree {
    void operator()(evp_md_ctx_st* ctx) const;
  };
  std::unique_ptr<evp_md_ctx_st, CtxFree> ctx_;
};

}  // namespace scopefs::s3
