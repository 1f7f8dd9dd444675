#include "body.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "coffer/base/bytes.h"
#include "coffer/core/auth/s3_errors.h"

namespace coffer::core::s3 {
namespace {

using auth::MakeS3Error;
using auth::S3ErrorCode;

constexpr std::size_t kRawReadBytes = 256 * 1024;

bool IsBase64(std::string_view s, std::size_t decoded_len) {
  const std::size_t expected = (decoded_len + 2) / 3 * 4;
  if (s.size() != expected) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '+' || c == '/' || (c == '=' && i + 2 >= s.size());
    if (!ok) return false;
  }
  return true;
}

std::size_t DigestLength(auth::ChecksumAlgorithm algorithm) {
  switch (algorithm) {
    case auth::ChecksumAlgorithm::kCrc32:
    case auth::ChecksumAlgorithm::kCrc32c:
      return 4;
    case auth::ChecksumAlgorithm::kSha1:
      return 20;
    case auth::ChecksumAlgorithm::kSha256:
      return 32;
  }
  return 0;
}

}  // namespace

SignedBody::~SignedBody() = default;

base::Result<std::unique_ptr<SignedBody>> SignedBody::Open(
    const auth::Crypto& crypto, ossl_lib_ctx_st* libctx, const HttpRequest& request,
    const auth::Authentication& auth, BodyReader& http, std::uint64_t max_bytes) {
  std::unique_ptr<SignedBody> body(new SignedBody());
  body->http_ = &http;
  body->max_bytes_ = max_bytes;
  const bool streaming = auth::IsStreaming(auth.payload.mode);
  if (streaming) {
    body->declared_size_ = auth.decoded_content_length;
  } else {
    body->declared_size_ = http.content_length();
  }
  if (!body->declared_size_.has_value() && streaming) {
    return MakeS3Error(S3ErrorCode::kMissingContentLength);
  }
  if (body->declared_size_.has_value() && *body->declared_size_ > max_bytes) {
    return MakeS3Error(S3ErrorCode::kEntityTooLarge);
  }
  COFFER_ASSIGN_OR_RETURN(body->stage_, auth::NewBodyReader(crypto, auth));

  if (const std::string_view md5 = request.Header("content-md5"); !md5.empty()) {
    if (!IsBase64(md5, 16)) return MakeS3Error(S3ErrorCode::kInvalidDigest);
    body->content_md5_ = std::string(md5);
    body->md5_ = std::make_unique<storage::Md5>(libctx);
  }
  for (const auto& [name, value] : request.headers) {
    const auto algorithm = auth::ChecksumAlgorithmFromHeader(name);
    if (!algorithm.has_value()) continue;
    if (body->checksum_.has_value()) {
      return MakeS3Error(S3ErrorCode::kInvalidRequest,
                         "Expecting a single x-amz-checksum- header.");
    }
    if (!IsBase64(value, DigestLength(*algorithm))) {
      return MakeS3Error(S3ErrorCode::kInvalidDigest);
    }
    body->checksum_name_ = name;
    body->checksum_value_ = value;
    body->checksum_.emplace(crypto, *algorithm);
  }
  return body;
}

base::Status SignedBody::Fill() {
  raw_.resize(kRawReadBytes);
  COFFER_ASSIGN_OR_RETURN(
      const std::size_t n,
      http_->Read(std::span<std::byte>(reinterpret_cast<std::byte*>(raw_.data()), raw_.size())));
  if (n == 0) {
    eof_ = true;
    return FinishChecks();
  }
  pending_.clear();
  pending_offset_ = 0;
  COFFER_RETURN_IF_ERROR(stage_->Feed(std::string_view(raw_.data(), n), pending_));
  payload_bytes_ += pending_.size();
  if (payload_bytes_ > max_bytes_ ||
      (declared_size_.has_value() && payload_bytes_ > *declared_size_)) {
    return payload_bytes_ > max_bytes_
               ? MakeS3Error(S3ErrorCode::kEntityTooLarge)
               : MakeS3Error(S3ErrorCode::kIncompleteBody, "The body is longer than announced.");
  }
  if (md5_ != nullptr) md5_->Update(base::AsBytes(pending_));
  if (checksum_.has_value()) checksum_->Update(pending_);
  return base::Ok();
}

base::Status SignedBody::FinishChecks() {
  // A short body is reported as such before the signature stage judges it:
  // its hash cannot match either, but IncompleteBody says what went wrong.
  if (declared_size_.has_value() && payload_bytes_ != *declared_size_) {
    return MakeS3Error(S3ErrorCode::kIncompleteBody);
  }
  COFFER_RETURN_IF_ERROR(stage_->Finish());
  if (md5_ != nullptr) {
    const std::string expected = auth::Base64Encode(md5_->FinishRaw());
    md5_.reset();
    if (!auth::ConstantTimeEquals(expected, content_md5_)) {
      return MakeS3Error(S3ErrorCode::kBadDigest,
                         "The Content-MD5 you specified did not match what we received.");
    }
  }
  if (checksum_.has_value()) {
    const std::string actual = checksum_->FinalBase64();
    checksum_.reset();
    if (actual != checksum_value_) {
      return MakeS3Error(S3ErrorCode::kBadDigest, "The " + checksum_name_ +
                                                      " you specified did not match the "
                                                      "calculated checksum.");
    }
  }
  return base::Ok();
}

base::Result<std::size_t> SignedBody::Read(std::span<std::byte> out) {
  if (failed_.has_value()) return *failed_;
  while (pending_offset_ == pending_.size()) {
    if (eof_) return std::size_t{0};
    if (base::Status s = Fill(); !s.has_value()) {
      failed_ = s.error();
      return s.error();
    }
  }
  const std::size_t n = std::min(out.size(), pending_.size() - pending_offset_);
  std::memcpy(out.data(), pending_.data() + pending_offset_, n);
  pending_offset_ += n;
  return n;
}

base::Result<std::string> ReadSmallBody(const auth::Crypto& crypto, ossl_lib_ctx_st* libctx,
                                        const HttpRequest& request,
                                        const auth::Authentication& auth, BodyReader& http,
                                        std::size_t limit, bool required) {
  COFFER_ASSIGN_OR_RETURN(auto body, SignedBody::Open(crypto, libctx, request, auth, http, limit));
  std::string out;
  std::array<std::byte, 16 * 1024> buffer;
  for (;;) {
    COFFER_ASSIGN_OR_RETURN(const std::size_t n, body->Read(buffer));
    if (n == 0) break;
    out.append(reinterpret_cast<const char*>(buffer.data()), n);
  }
  if (required && out.empty()) return MakeS3Error(S3ErrorCode::kMissingRequestBodyError);
  return out;
}

}  // namespace coffer::core::s3
