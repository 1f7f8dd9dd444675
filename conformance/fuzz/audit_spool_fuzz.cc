// Fuzz target for the audit spool's segment decoder: any bytes decode into a
// valid prefix without crashing or reading outside the input; the prefix's
// records re-encode to exactly the prefix's bytes (encode . decode = id on
// what is accepted); and appending garbage after a valid segment never
// changes the records recovered from it (a torn tail drops only itself).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "coffer/base/assert.h"
#include "coffer/core/audit/record.h"

namespace {

namespace audit = coffer::core::audit;

void Check(std::string_view in) {
  const audit::DecodedSegment d = audit::DecodeSegment(in);
  COFFER_ASSERT(d.valid_bytes + d.torn_bytes == in.size());
  std::string again;
  for (const auto& r : d.records) audit::EncodeRecord(r.seq, r.payload, again);
  COFFER_ASSERT(again == in.substr(0, d.valid_bytes));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  Check(in);
  // The input as payloads of a valid segment, then the input as its torn tail.
  std::string segment;
  const std::size_t half = size / 2;
  audit::EncodeRecord(1, in.substr(0, half), segment);
  audit::EncodeRecord(2, in.substr(half), segment);
  const audit::DecodedSegment whole = audit::DecodeSegment(segment);
  COFFER_ASSERT(whole.records.size() == 2);
  COFFER_ASSERT(whole.torn_bytes == 0);
  const audit::DecodedSegment torn = audit::DecodeSegment(segment + std::string(in));
  COFFER_ASSERT(torn.records.size() >= 2);
  COFFER_ASSERT(torn.records[0].payload == whole.records[0].payload);
  COFFER_ASSERT(torn.records[1].payload == whole.records[1].payload);
  Check(segment + std::string(in));
  return 0;
}
