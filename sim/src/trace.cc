#include "coffer/sim/trace.h"

#include <openssl/evp.h>

#include "coffer/base/assert.h"

namespace coffer::sim {

Trace::Trace() : md_ctx_(EVP_MD_CTX_new()) {
  auto* ctx = static_cast<EVP_MD_CTX*>(md_ctx_);
  COFFER_ASSERT(ctx != nullptr);
  COFFER_ASSERT(EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1);
}

Trace::~Trace() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(md_ctx_)); }

void Trace::Add(std::string_view line) {
  auto* ctx = static_cast<EVP_MD_CTX*>(md_ctx_);
  COFFER_ASSERT(EVP_DigestUpdate(ctx, line.data(), line.size()) == 1);
  COFFER_ASSERT(EVP_DigestUpdate(ctx, "\n", 1) == 1);
  ++count_;
  if (keep_lines_) lines_.emplace_back(line);
}

std::string Trace::Hash() const {
  // Finalise a copy so the running digest can keep growing.
  EVP_MD_CTX* copy = EVP_MD_CTX_new();
  COFFER_ASSERT(copy != nullptr);
  COFFER_ASSERT(EVP_MD_CTX_copy_ex(copy, static_cast<EVP_MD_CTX*>(md_ctx_)) == 1);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  COFFER_ASSERT(EVP_DigestFinal_ex(copy, digest, &len) == 1);
  EVP_MD_CTX_free(copy);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xf];
  }
  return out;
}

}  // namespace coffer::sim
