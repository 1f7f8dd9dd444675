#pragma once
// The SigV4 suite's mutations of a valid signed request. Each changes exactly one part that
// the signature covers (a signed header, the query, the body, the date, the credential scope,
// the signature itself, the path, or one chunk of an aws-chunked body), so a correct server
// must refuse the result. Pure functions over a Prepared request; no I/O.

#include <optional>
#include <string>
#include <vector>

#include "s3_client.h"

namespace coffer::conform {

enum class Mutation {
  kNone,
  kHeaderValue,       // A signed header's value changed after signing.
  kDropSignedHeader,  // A signed header removed from the request.
  kQueryAdd,          // A query parameter added after signing.
  kQueryValue,        // A query value changed.
  kBody,              // A body byte changed (signed payload).
  kDateHeader,        // x-amz-date changed after signing.
  kScopeDate,         // The credential scope's date changed.
  kScopeRegion,       // The credential scope's region changed.
  kScopeService,      // The credential scope's service changed.
  kAccessKey,         // The access key in the credential changed.
  kSignature,         // One hex digit of the signature changed.
  kSignedHeaderList,  // A name dropped from SignedHeaders.
  kPath,              // The object key changed.
  kChunkData,         // aws-chunked: a byte of one chunk's data changed.
  kChunkSignature,    // aws-chunked: one chunk signature changed.
  kChunkDrop,         // aws-chunked: one data chunk removed.
  kChunkSwap,         // aws-chunked: two data chunks swapped.
  kChunkTruncate,     // aws-chunked: the body cut before the final chunk.
};

inline constexpr int kMutationCount = static_cast<int>(Mutation::kChunkTruncate) + 1;

const char* MutationName(Mutation m);

// `which` and `where` choose the header/chunk and the character (taken modulo what exists).
struct MutationSpec {
  Mutation kind = Mutation::kNone;
  unsigned which = 0;
  unsigned where = 0;
};

// Applies `spec` to `p` in place. Returns what was changed, or nullopt when the mutation does
// not apply to this request (no query, no body, not aws-chunked, ...); `p` is then unchanged.
std::optional<std::string> ApplyMutation(Prepared& p, const MutationSpec& spec);

// The parts of an Authorization header "AWS4-HMAC-SHA256 Credential=AK/DATE/REGION/SERVICE/
// aws4_request, SignedHeaders=a;b, Signature=hex". Empty fields when malformed.
struct AuthorizationParts {
  std::string access_key, date, region, service, terminator;
  std::vector<std::string> signed_headers;
  std::string signature;
};
AuthorizationParts ParseAuthorization(const std::string& value);
std::string FormatAuthorization(const AuthorizationParts& parts);

}  // namespace coffer::conform
