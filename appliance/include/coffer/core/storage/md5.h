#pragma once
// Incremental MD5 for S3 ETags, through OpenSSL in the Env's library context.
// MD5 is what S3 clients compare ETags against; it is not used for integrity
// here (the bitrot checksum is).

#include <span>
#include <string>

struct ossl_lib_ctx_st;
struct evp_md_ctx_st;

namespace coffer::core::storage {

class Md5 {
 public:
  explicit Md5(ossl_lib_ctx_st* libctx);
  ~Md5();
  Md5(const Md5&) = delete;
  Md5& operator=(const Md5&) = delete;

  void Update(std::span<const std::byte> data);
  // Returns the 16-byte digest; the object is spent afterwards.
  std::string FinishRaw();

 private:
  evp_md_ctx_st* ctx_;
};

}  // namespace coffer::core::storage
