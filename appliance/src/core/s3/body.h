#pragma once
// The request body on its way to storage: raw bytes from the HTTP shell pass
// through the SigV4 body stage (signed SHA-256 or aws-chunked decoding with
// chunk signatures and trailer checksums) and the integrity headers
// (Content-MD5, x-amz-checksum-*), and come out as payload for the object
// layer.
//
// SECURITY: every check runs before the body source reports its end. The
// object layer commits an object only after Read() returned 0, so a body that
// fails any check (signature, digest, length) is an error from the last Read()
// and nothing becomes visible.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "coffer/base/result.h"
#include "coffer/core/auth/body_reader.h"
#include "coffer/core/auth/checksum.h"
#include "coffer/core/auth/crypto.h"
#include "coffer/core/auth/verifier.h"
#include "coffer/core/http.h"
#include "coffer/core/storage/md5.h"
#include "coffer/core/storage/object_layer.h"

namespace coffer::core::s3 {

class SignedBody final : public storage::BodySource {
 public:
  // Opens the body of `request`. `max_bytes` bounds the payload (EntityTooLarge
  // beyond it). Errors: MissingContentLength (no length for a payload that
  // needs one), InvalidDigest (a Content-MD5 or x-amz-checksum-* header that is
  // not well-formed), EntityTooLarge, and NewBodyReader's.
  static base::Result<std::unique_ptr<SignedBody>> Open(const auth::Crypto& crypto,
                                                        ossl_lib_ctx_st* libctx,
                                                        const HttpRequest& request,
                                                        const auth::Authentication& auth,
                                                        BodyReader& http, std::uint64_t max_bytes);
  ~SignedBody() override;

  // Payload bytes. At the end: the SigV4 verdict, then IncompleteBody (fewer
  // bytes than announced), BadDigest (Content-MD5 or checksum mismatch).
  base::Result<std::size_t> Read(std::span<std::byte> out) override;

  // The payload length the client announced (decoded length for aws-chunked),
  // when it did.
  std::optional<std::uint64_t> declared_size() const { return declared_size_; }
  // The x-amz-checksum-* header the client sent and its value ("" if none),
  // for storing with the object.
  std::string_view checksum_name() const { return checksum_name_; }
  std::string_view checksum_value() const { return checksum_value_; }
  std::uint64_t payload_bytes() const { return payload_bytes_; }

 private:
  SignedBody() = default;
  base::Status Fill();
  base::Status FinishChecks();

  BodyReader* http_ = nullptr;
  std::unique_ptr<auth::BodyReader> stage_;
  std::optional<std::uint64_t> declared_size_;
  std::uint64_t max_bytes_ = 0;
  std::uint64_t payload_bytes_ = 0;
  std::string raw_;      // One read from the shell.
  std::string pending_;  // Decoded payload not yet handed out.
  std::size_t pending_offset_ = 0;
  bool eof_ = false;
  std::optional<base::Error> failed_;
  std::string content_md5_;  // Expected, base64.
  std::unique_ptr<storage::Md5> md5_;
  std::string checksum_name_;
  std::string checksum_value_;
  std::optional<auth::Checksummer> checksum_;
};

// Reads a whole small body (XML documents, tag sets) through the same checks,
// refusing more than `limit` bytes. Errors: as SignedBody, and
// MissingRequestBodyError when `required` and the body is empty.
base::Result<std::string> ReadSmallBody(const auth::Crypto& crypto, ossl_lib_ctx_st* libctx,
                                        const HttpRequest& request,
                                        const auth::Authentication& auth, BodyReader& http,
                                        std::size_t limit, bool required);

}  // namespace coffer::core::s3
