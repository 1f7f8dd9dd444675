#pragma once
// Key rotation over stored objects: walks every version of every object (or
// of one bucket) in an erasure set and re-seals each SSE-S3/SSE-KMS data key
// under the newest version of its key service key (Engine::Rewrap), writing
// only the version's metadata (ErasureSet::UpdateObjectEncryption). Object
// data is never read or re-encrypted; SSE-C objects have no key service key
// and are skipped. Backs `coffer kms rewrap`.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/base/result.h"
#include "coffer/core/sse/engine.h"
#include "coffer/core/storage/erasure_set.h"
#include "coffer/env/key_service.h"

namespace coffer::core::sse {

struct RewrapReport {
  std::uint64_t versions = 0;   // Object versions seen (delete markers excluded).
  std::uint64_t encrypted = 0;  // Of those, with an SSE record.
  std::uint64_t rewrapped = 0;  // Records re-sealed and written.
  std::uint64_t skipped = 0;    // SSE-C, or changed concurrently (kAborted).
  // "bucket/key?versionId=v: error" for each version that failed; the walk
  // goes on past them.
  std::vector<std::string> failures;
};

// Told of each version whose record was rewritten: the version as listed and
// its record before and after (key names and data-key ciphertexts, no key
// bytes in the clear).
using RewrapObserver = std::function<void(const storage::ObjectInfo& version,
                                          const Metadata& before, const Metadata& after)>;

// Rewraps the objects of `bucket` (every bucket when empty). Returns the
// report; an error only when listing fails (kNotFound for a missing bucket).
// Not thread-safe with itself; safe against concurrent S3 traffic (a record
// rewritten meanwhile is left alone and counted as skipped). `observer`, when
// set, is called on this thread for every version rewritten.
base::Result<RewrapReport> RewrapObjects(storage::ErasureSet& set, const Engine& engine,
                                         env::KeyService& key_service, std::string_view bucket,
                                         const RewrapObserver& observer = {});

}  // namespace coffer::core::sse
