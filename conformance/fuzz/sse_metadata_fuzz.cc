// Fuzz target for the SSE metadata record parser (issue #9): a drive holder
// controls these bytes. Any input parses or fails with kDataLoss, never
// crashes; whatever parses re-serialises to exactly the input (the format is
// canonical: print . parse = id on the accepted set).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "coffer/base/assert.h"
#include "coffer/core/sse/metadata.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  auto parsed = coffer::core::sse::ParseMetadata(in);
  if (!parsed.has_value()) {
    COFFER_ASSERT(parsed.error().code() == coffer::base::ErrorCode::kDataLoss);
    return 0;
  }
  COFFER_ASSERT(coffer::core::sse::IsSseRecord(in));
  COFFER_ASSERT(coffer::core::sse::SerializeMetadata(*parsed) == in);
  return 0;
}
