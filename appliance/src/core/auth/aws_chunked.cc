#include "coffer/core/auth/aws_chunked.h"

#include <algorithm>

#include "coffer/core/auth/signature.h"

namespace coffer::core::auth {
namespace {

std::string_view TrimBlank(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string LowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr std::string_view kSignaturePrefix = "chunk-signature=";
constexpr std::string_view kTrailerSignatureName = "x-amz-trailer-signature";

}  // namespace

base::Result<std::unique_ptr<ChunkedDecoder>> ChunkedDecoder::Create(const Crypto& crypto,
                                                                     ChunkedConfig config) {
  if (!IsStreaming(config.mode)) {
    return base::InvalidArgument("ChunkedDecoder needs a STREAMING-* payload mode");
  }
  const bool is_signed = config.mode != PayloadMode::kStreamingUnsignedTrailer;
  if (is_signed &&
      (!IsLowerHex(config.streaming.seed_signature, 64) || config.streaming.signing_key.empty())) {
    return base::InvalidArgument("signed aws-chunked decoding needs the seed signature and key");
  }
  for (const std::string& name : config.trailers) {
    if (!ChecksumAlgorithmFromHeader(name).has_value()) {
      return MakeS3Error(S3ErrorCode::kInvalidRequest,
                         "the trailer '" + name.substr(0, 40) + "' is not supported");
    }
  }
  return std::unique_ptr<ChunkedDecoder>(new ChunkedDecoder(crypto, std::move(config)));
}

ChunkedDecoder::ChunkedDecoder(const Crypto& crypto, ChunkedConfig config)
    : crypto_(crypto), config_(std::move(config)) {
  previous_signature_ = config_.streaming.seed_signature;
  if (Signed()) chunk_hash_ = crypto_.NewSha256();
  for (const std::string& name : config_.trailers) {
    checksums_.emplace_back(crypto_, *ChecksumAlgorithmFromHeader(name));
  }
}

bool ChunkedDecoder::Signed() const {
  return config_.mode != PayloadMode::kStreamingUnsignedTrailer;
}

base::Status ChunkedDecoder::Fail(base::Error error) {
  state_ = State::kFailed;
  error_ = error;
  return error;
}

std::string ChunkedDecoder::Where() const {
  return "aws-chunked chunk " + std::to_string(chunk_index_) + " at byte " +
         std::to_string(offset_) + ": ";
}

base::Status ChunkedDecoder::Feed(std::string_view input, std::string& out) {
  std::size_t i = 0;
  while (i < input.size()) {
    switch (state_) {
      case State::kFailed:
        return *error_;
      case State::kDone:
        return Fail(MakeS3Error(S3ErrorCode::kInvalidRequest,
                                Where() + "data after the end of the aws-chunked body"));
      case State::kSizeLine:
      case State::kTrailerLine:
        COFFER_RETURN_IF_ERROR(AppendLine(input, i));
        break;
      case State::kData: {
        const std::size_t n =
            static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, input.size() - i));
        COFFER_RETURN_IF_ERROR(OnData(input.substr(i, n), out));
        i += n;
        break;
      }
      case State::kDataCr:
      case State::kDataLf: {
        const char expected = state_ == State::kDataCr ? '\r' : '\n';
        if (input[i] != expected) {
          return Fail(MakeS3Error(S3ErrorCode::kInvalidRequest,
                                  Where() + "chunk data is not followed by CRLF"));
        }
        ++i;
        ++offset_;
        if (state_ == State::kDataCr) {
          state_ = State::kDataLf;
        } else {
          COFFER_RETURN_IF_ERROR(OnChunkEnd());
        }
        break;
      }
    }
  }
  return state_ == State::kFailed ? base::Status(*error_) : base::Ok();
}

base::Status ChunkedDecoder::AppendLine(std::string_view input, std::size_t& i) {
  const bool size_line = state_ == State::kSizeLine;
  const std::size_t limit =
      size_line ? config_.limits.chunk_line_max_bytes : config_.limits.trailer_line_max_bytes;
  const std::size_t nl = input.find('\n', i);
  const std::size_t end = nl == std::string_view::npos ? input.size() : nl;
  if (line_.size() + (end - i) > limit) {
    const S3ErrorCode code =
        size_line ? S3ErrorCode::kInvalidChunkSizeError : S3ErrorCode::kMalformedTrailerError;
    return Fail(
        MakeS3Error(code, Where() + "line longer than " + std::to_string(limit) + " bytes"));
  }
  line_.append(input.substr(i, end - i));
  offset_ += end - i;
  i = end;
  if (nl == std::string_view::npos) return base::Ok();
  ++i;
  ++offset_;
  if (line_.empty() || line_.back() != '\r') {
    return Fail(MakeS3Error(S3ErrorCode::kInvalidRequest, Where() + "line not ended by CRLF"));
  }
  line_.pop_back();
  const std::string line = std::move(line_);
  line_.clear();
  return size_line ? OnSizeLine(line) : OnTrailerLine(line);
}

base::Status ChunkedDecoder::ParseSizeLine(std::string_view line, std::uint64_t& size,
                                           std::string_view& signature) {
  const std::size_t semi = line.find(';');
  const std::string_view digits = line.substr(0, semi);
  if (digits.empty() || digits.size() > 16) {
    return MakeS3Error(S3ErrorCode::kInvalidChunkSizeError, Where() + "invalid chunk size");
  }
  size = 0;
  for (char c : digits) {
    const int d = HexDigit(c);
    if (d < 0) {
      return MakeS3Error(S3ErrorCode::kInvalidChunkSizeError, Where() + "invalid chunk size");
    }
    size = size * 16 + static_cast<std::uint64_t>(d);
  }
  if (size > config_.limits.chunk_max_bytes) {
    return MakeS3Error(S3ErrorCode::kInvalidChunkSizeError,
                       Where() + "chunk of " + std::to_string(size) +
                           " bytes exceeds the limit of " +
                           std::to_string(config_.limits.chunk_max_bytes));
  }
  const std::string_view extension =
      semi == std::string_view::npos ? std::string_view() : line.substr(semi + 1);
  if (!Signed()) {
    if (semi != std::string_view::npos) {
      return MakeS3Error(S3ErrorCode::kInvalidRequest,
                         Where() + "unexpected chunk extension in an unsigned aws-chunked body");
    }
    return base::Ok();
  }
  if (!extension.starts_with(kSignaturePrefix)) {
    return MakeS3Error(S3ErrorCode::kSignatureDoesNotMatch, Where() + "no chunk-signature");
  }
  signature = extension.substr(kSignaturePrefix.size());
  if (!IsLowerHex(signature, 64)) {
    return MakeS3Error(S3ErrorCode::kSignatureDoesNotMatch,
                       Where() + "chunk-signature is not 64 lower-case hex digits");
  }
  return base::Ok();
}

base::Status ChunkedDecoder::OnSizeLine(std::string_view line) {
  ++chunk_index_;
  std::uint64_t size = 0;
  std::string_view signature;
  base::Status parsed = ParseSizeLine(line, size, signature);
  if (!parsed.has_value()) return Fail(parsed.error());
  claimed_signature_ = std::string(signature);
  if (size > 0) {
    remaining_ = size;
    state_ = State::kData;
    return base::Ok();
  }
  // The zero-length chunk ends the payload; its signature covers no data.
  if (Signed()) COFFER_RETURN_IF_ERROR(VerifyChunk(kEmptySha256Hex));
  state_ = State::kTrailerLine;
  return base::Ok();
}

base::Status ChunkedDecoder::OnData(std::string_view data, std::string& out) {
  if (config_.decoded_content_length.has_value() &&
      payload_bytes_ + data.size() > *config_.decoded_content_length) {
    return Fail(MakeS3Error(S3ErrorCode::kInvalidRequest,
                            Where() + "more payload than x-amz-decoded-content-length"));
  }
  out.append(data);
  if (chunk_hash_ != nullptr) chunk_hash_->Update(data);
  for (Checksummer& checksum : checksums_) checksum.Update(data);
  payload_bytes_ += data.size();
  offset_ += data.size();
  remaining_ -= data.size();
  if (remaining_ == 0) state_ = State::kDataCr;
  return base::Ok();
}

base::Status ChunkedDecoder::OnChunkEnd() {
  state_ = State::kSizeLine;
  if (!Signed()) return base::Ok();
  return VerifyChunk(HexEncode(chunk_hash_->Final()));
}

base::Status ChunkedDecoder::VerifyChunk(std::string_view data_sha256_hex) {
  const StreamingContext& s = config_.streaming;
  const std::string expected = ChunkSignature(crypto_, s.signing_key, s.amz_date, s.scope,
                                              previous_signature_, data_sha256_hex);
  // SECURITY: constant-time; and the chain means a chunk verifies only at its
  // own position, which is what catches reordering and dropping.
  if (!ConstantTimeEquals(expected, claimed_signature_)) {
    return Fail(MakeS3Error(S3ErrorCode::kSignatureDoesNotMatch,
                            Where() + "chunk signature does not match (altered, reordered or "
                                      "dropped chunk)"));
  }
  previous_signature_ = claimed_signature_;
  return base::Ok();
}

base::Status ChunkedDecoder::OnTrailerLine(std::string_view line) {
  if (line.empty()) return EndOfBody();
  auto malformed = [this](const std::string& what) {
    return Fail(MakeS3Error(S3ErrorCode::kMalformedTrailerError, Where() + what));
  };
  if (trailer_signature_seen_) return malformed("trailer after x-amz-trailer-signature");
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return malformed("trailer line without ':'");
  const std::string name = LowerAscii(TrimBlank(line.substr(0, colon)));
  const std::string_view value = TrimBlank(line.substr(colon + 1));
  if (name == kTrailerSignatureName) {
    if (!Signed() || config_.mode == PayloadMode::kStreamingSigned) {
      return malformed("x-amz-trailer-signature in a mode without signed trailers");
    }
    return OnTrailerSignature(value);
  }
  if (std::find(config_.trailers.begin(), config_.trailers.end(), name) == config_.trailers.end()) {
    return malformed("trailer '" + name.substr(0, 40) + "' was not declared in x-amz-trailer");
  }
  for (const auto& [seen, v] : received_trailers_) {
    if (seen == name) return malformed("trailer '" + name + "' is repeated");
  }
  if (received_trailers_.size() >= config_.limits.trailer_count_max) {
    return malformed("too many trailers");
  }
  received_trailers_.emplace_back(name, std::string(value));
  canonical_trailers_ += name;
  canonical_trailers_ += ':';
  canonical_trailers_ += value;
  canonical_trailers_ += '\n';
  return base::Ok();
}

base::Status ChunkedDecoder::OnTrailerSignature(std::string_view value) {
  const StreamingContext& s = config_.streaming;
  const std::string expected = TrailerSignature(crypto_, s.signing_key, s.amz_date, s.scope,
                                                previous_signature_, canonical_trailers_);
  if (!IsLowerHex(value, 64) || !ConstantTimeEquals(expected, value)) {
    return Fail(MakeS3Error(S3ErrorCode::kSignatureDoesNotMatch,
                            Where() + "x-amz-trailer-signature does not match"));
  }
  trailer_signature_seen_ = true;
  return base::Ok();
}

base::Status ChunkedDecoder::EndOfBody() {
  auto fail = [this](S3ErrorCode code, const std::string& what) {
    return Fail(MakeS3Error(code, Where() + what));
  };
  if (config_.mode == PayloadMode::kStreamingSignedTrailer && !trailer_signature_seen_) {
    return fail(S3ErrorCode::kMalformedTrailerError, "x-amz-trailer-signature is missing");
  }
  for (std::size_t k = 0; k < config_.trailers.size(); ++k) {
    const std::string& name = config_.trailers[k];
    const auto it = std::find_if(received_trailers_.begin(), received_trailers_.end(),
                                 [&name](const auto& t) { return t.first == name; });
    if (it == received_trailers_.end()) {
      return fail(S3ErrorCode::kMalformedTrailerError, "declared trailer " + name + " is missing");
    }
    // The checksum is compared only after the trailer signature (if any)
    // verified, so a BadDigest always concerns a trailer the client signed.
    if (checksums_[k].FinalBase64() != it->second) {
      return fail(S3ErrorCode::kBadDigest, "the " + name + " trailer does not match the payload");
    }
  }
  if (config_.decoded_content_length.has_value() &&
      payload_bytes_ != *config_.decoded_content_length) {
    return fail(S3ErrorCode::kIncompleteBody,
                "the payload is shorter than x-amz-decoded-content-length");
  }
  state_ = State::kDone;
  return base::Ok();
}

base::Status ChunkedDecoder::Finish() {
  if (state_ == State::kFailed) return *error_;
  if (state_ == State::kDone) return base::Ok();
  // Some SDKs omit the blank line that closes the trailer section; a body that
  // stops exactly at a line boundary there is complete.
  if (state_ == State::kTrailerLine && line_.empty() && chunk_index_ > 0) return EndOfBody();
  return Fail(MakeS3Error(S3ErrorCode::kIncompleteBody,
                          Where() + "the body ended before the final aws-chunked chunk"));
}

}  // namespace coffer::core::auth
